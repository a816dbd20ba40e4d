/**
 * @sops-ts/hc-vault: the HashiCorp Vault transit key provider for sops-ts. No SDK: the
 * transit API is called with `fetch`.
 * @module
 */
export { vaultTransitKeyService } from "./key-service.js"
export type { VaultTransitOptions } from "./key-service.js"
export { vaultAllowlist, parseVaultAllowlist } from "./allowlist.js"
export type { VaultAllowlist, VaultAllowlistInput } from "./allowlist.js"
export { vaultOptionsFromEnvironment, vaultKeyServiceFromEnvironment, keyServiceFromEnv } from "./environment.js"
export type { Env } from "./environment.js"
export type { FetchLike } from "./transit.js"
