/**
 * @sops-ts/azure-kv: the Azure Key Vault key provider for sops-ts (RSA-OAEP-256 wrapping
 * through `@azure/keyvault-keys`; `enc` is unpadded base64url, as sops writes it).
 * @module
 */
export { azureKeyVaultKeyService } from "./key-service.js"
export type { AzureKeyVaultOptions, AzureKeyVaultKeyService, AzureTokenCredential } from "./key-service.js"
export { keyServiceFromEnv } from "./environment.js"
export { toRawBase64Url, fromRawBase64Url } from "./base64url.js"
