/**
 * @sops-ts/testkit: private test helpers shared by the sops-ts packages.
 * @module
 */
export { requireTool, describeWithTool } from "./tools.js"
export type { ToolName, ToolCheck } from "./tools.js"
export { REPO_ROOT, conformanceDir, loadManifest, corpusPath, isAgeIdentity, expectedOutcome } from "./conformance.js"
export type { ConformanceVector } from "./conformance.js"
export { startAwsKmsEmulator, TEST_KMS_KEY_ARN, TEST_AWS_CREDENTIALS, TEST_AWS_ACCOUNT, AwsEmulatorError } from "./emulators/aws-kms.js"
export type { AwsKmsEmulator, AwsKmsEmulatorOptions, AwsEmulatorCall, AwsEmulatorOperation, EmulatedKmsKey, AwsAccessKey, EmulatedRole } from "./emulators/aws-kms.js"
export { startGcpKmsEmulator } from "./emulators/gcp-kms.js"
export type { GcpKmsEmulator, GcpKmsEmulatorOptions, GcpKmsCall, GcpKmsMethod, GcpKmsStatus, GcpAuthKind, GcpTokenRequest } from "./emulators/gcp-kms.js"
export { generateGcpServiceAccount, signGcpJwt, GOOGLE_TOKEN_URL } from "./emulators/gcp-service-account.js"
export type { GcpServiceAccountCredentials, GcpServiceAccountOptions } from "./emulators/gcp-service-account.js"
export { GCP_KMS_SCOPES } from "./emulators/gcp-oauth.js"
export { createSelfSignedCert } from "./emulators/self-signed-cert.js"
export type { SelfSignedCert } from "./emulators/self-signed-cert.js"
export { startVaultEmulator, TEST_VAULT_TOKEN } from "./emulators/vault.js"
export type { VaultEmulator, VaultEmulatorOptions, VaultEmulatorCall, EmulatedVaultKey } from "./emulators/vault.js"
export { startAzureKvEmulator, TEST_AZURE_TOKEN, AZURE_KV_RESOURCE, AZURE_KV_API_VERSIONS } from "./emulators/azure-kv.js"
export type { AzureKvEmulator, AzureKvEmulatorOptions, AzureKvCall, EmulatedAzureKey, EmulatorCredential } from "./emulators/azure-kv.js"
export { startTempPostgres, postgresBinDir } from "./postgres.js"
export type { TempPostgres } from "./postgres.js"
export {
  installSopstestPlugin,
  sopstestKeyPair,
  withSopstestMode,
  encodePluginRecipient,
  encodePluginIdentity,
  SOPSTEST_MODES,
  SOPSTEST_PIN,
} from "./age-plugin/index.js"
export type { InstalledAgePlugin, SopstestMode } from "./age-plugin/index.js"
