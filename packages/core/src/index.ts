/**
 * @sops-ts/core: the SOPS format engine and library API.
 * @module
 */
export { SopsError, KeyUnavailableError, isSopsError } from "./errors.js"
export type { SopsErrorCode, SopsErrorOptions } from "./errors.js"
export { Comment, NonStringKey, Timestamp, TreeBranch, isStringValue } from "./tree.js"
export type { Scalar, TreeValue, TreeKey, TreeItem, TreeBranches, TypeTag } from "./tree.js"
export { KEY_TYPES_LOAD_ORDER, DEFAULT_UNENCRYPTED_SUFFIX, SOPS_VERSION, keyId, describeKey } from "./metadata/model.js"
export type {
  KeyType,
  MasterKey,
  AgeMasterKey,
  PgpMasterKey,
  KmsMasterKey,
  GcpKmsMasterKey,
  HckmsMasterKey,
  AzureKvMasterKey,
  HcVaultMasterKey,
  KeyGroup,
  EncryptionOptions,
  Metadata,
} from "./metadata/model.js"
export type { KeyService, KeyOperationOptions, WrappedKey } from "./keys/key-service.js"
export type { Format, Store, StoreOptions, LoadedEncrypted } from "./stores/store.js"
export { FORMATS } from "./stores/store.js"

// Format engine
export { ValueCipher, isEncryptedValue, parseEncryptedValue, IV_LENGTH } from "./cipher.js"
export type { Plain, EncryptedParts, ValueCipherOptions } from "./cipher.js"
export { encryptTree, decryptTree, MAC_ONLY_ENCRYPTED_INIT } from "./tree-crypto.js"
export type { WalkReport } from "./tree-crypto.js"
export { compileSelection, checkExclusiveOptions, withDefaultSuffix } from "./selection.js"
export { shamirSplit, shamirCombine } from "./shamir.js"
export { metadataFromBranch, metadataToBranch } from "./metadata/codec.js"
export { parseRFC3339, canonicalRFC3339, formatRFC3339Utc } from "./time.js"
export { storeFor, formatForPath, formatForPathOrString, isFormat } from "./stores/index.js"
export { valToString } from "./stores/val-to-string.js"

// Keys
export {
  generateDataKey,
  recoverDataKey,
  wrapDataKey,
  parseDecryptionOrder,
  sortByDecryptionOrder,
  DEFAULT_DECRYPTION_ORDER,
} from "./keys/data-key.js"
export type { KeyAttempt, RecoverOptions, WrapOptions } from "./keys/data-key.js"
export { registerKeyService, registeredKeyServices, resolveKeyServices } from "./keys/registry.js"

// Library API
export { parseEncrypted, emitEncrypted, openDocument, sealDocument } from "./api/document.js"
export type { EncryptedDocument, OpenedDocument, OpenOptions, SealOptions } from "./api/document.js"
export {
  decrypt,
  decryptFile,
  decryptToText,
  decryptToObject,
  decryptFileToObject,
  openEncrypted,
  emitDecrypted,
} from "./api/decrypt.js"
export type { DecryptOptions } from "./api/decrypt.js"
export { encrypt, encryptObject, encryptBranches } from "./api/encrypt.js"
export type { EncryptOptions } from "./api/encrypt.js"
export { rotate, updateKeys, setValue, unsetValue, modifyValues, applyKeyChanges } from "./api/modify.js"
export type { ModifyOptions, RotateOptions, UpdateKeysOptions, UpdateKeysResult } from "./api/modify.js"
export { loadSecrets, loadSecretsIntoEnv } from "./api/startup.js"
export type { LoadEnvOptions, LoadSecretsOptions } from "./api/startup.js"
export { treeToObject, objectToTree } from "./api/object.js"
export type { ToObjectOptions } from "./api/object.js"
export { parseTreePath, formatTreePath, getAtPath, setAtPath, unsetAtPath } from "./api/tree-path.js"
export type { PathComponent } from "./api/tree-path.js"
export type { KeyServiceOptions, ReadOptions } from "./api/options.js"
export { checkSupportedVersion } from "./api/version.js"
export { readFileBytes, writeFileAtomic } from "./fs.js"
export { base64Encode as encodeStdBase64, concatBytes, decodeStdBase64, constantTimeEqual } from "./bytes.js"
export type { AtomicWriteOptions } from "./fs.js"
export { onSopsEvent, emitSopsEvent } from "./events.js"
export type { SopsEvent, SopsEventListener, SopsOperation } from "./events.js"
export { compileGoRegex, tryCompileGoRegex } from "./regex.js"
export type { GoRegex } from "./regex.js"

// .sops.yaml and key strings
export {
  parseAgeRecipients,
  parsePgpFingerprints,
  parseKmsArns,
  parseKmsEncryptionContext,
  parseGcpKmsIds,
  parseAzureKvUrls,
  parseVaultUris,
  parseHckmsIds,
  newAgeKey,
  newPgpKey,
  newKmsKey,
  newGcpKmsKey,
  newAzureKvKey,
  newVaultKeyFromUri,
  newHckmsKey,
  formatCreatedAt,
  KMS_ARN_PATTERN,
  kmsArnRegion,
} from "./keys/parse-key-strings.js"
export type { KeyClockOptions, KmsParseOptions, KmsKeySpec, KeyListInput } from "./keys/parse-key-strings.js"
export { findConfigFile, lookupConfigFile, loadConfig, CONFIG_FILE_NAME } from "./config/load.js"
export type { ConfigLookup } from "./config/load.js"
export { parseConfig, SopsConfig } from "./config/sops-config.js"
export type { CreationRule, CreationRuleOptions, DestinationMatch } from "./config/sops-config.js"
export { resolveEncryptConfig } from "./config/encrypt-config.js"
export type { CliKeys, EncryptConfigInput, EncryptConfig } from "./config/encrypt-config.js"
export type { ConfigFileData, CreationRuleConfig, DestinationRuleConfig, KeyGroupConfig, StoresConfig } from "./config/types.js"
