/**
 * @sops-ts/age: the age key service for sops-ts — X25519, post-quantum hybrid, SSH
 * (`ssh-ed25519`, `ssh-rsa`, passphrase-protected keys included) and plugin (`age1<name>1…`, run as `age-plugin-<name>`)
 * recipients, and sops' identity discovery.
 * @module
 */
export { ageKeyService } from "./key-service.js"
export type { AgeKeyServiceOptions } from "./key-service.js"
export type { AgePluginPrompt, AgePluginPromptHandler, AgePluginAnswer } from "./internal/plugin-types.js"
export type { SshPassphraseCallback, SshPassphraseRequest } from "./internal/locked-ssh-identity.js"
export { parseAgeRecipient } from "./recipients.js"
export type { ParsedAgeRecipient, AgeRecipientKind } from "./recipients.js"
export {
  parseAgeIdentities,
  generateAgeIdentity,
  ageRecipientOf,
  isEncryptedIdentityFile,
} from "./identities.js"
export type { AgeIdentity, AgeIdentityKind, ParseAgeIdentitiesOptions } from "./identities.js"
export { userConfigDir } from "./discovery-context.js"
export type { DiscoveryContext } from "./discovery-context.js"
export type { Identity, Recipient } from "age-encryption"
