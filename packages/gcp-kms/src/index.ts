/**
 * @sops-ts/gcp-kms: the Google Cloud KMS key provider for @sops-ts/core (`gcp_kms` keys).
 * `@google-cloud/kms` is loaded on first use.
 * @module
 */
export { gcpKmsKeyService, gcpKmsKeyServiceFromEnvironment, keyServiceFromEnv } from "./key-service.js"
export type { GcpKmsKeyService } from "./key-service.js"
export type { GcpKmsKeyServiceOptions, GcpCredentials, GcpAccessToken, KmsClientOptions } from "./options.js"
export { gcpKmsOptionsFromEnvironment, GCP_KMS_ENV } from "./environment.js"
export type { CredentialFileReader } from "./environment.js"
export { isGcpKmsResourceId, GCP_KMS_RESOURCE_ID_PATTERN } from "./resource-id.js"
export { parseEndpoint } from "./client.js"
export type { ParsedEndpoint } from "./client.js"
