/**
 * @sops-ts/aws-kms: the AWS KMS key provider for sops-ts.
 *
 * ```ts
 * import { awsKmsKeyService } from "@sops-ts/aws-kms"
 * const kms = awsKmsKeyService()
 * ```
 * @module
 */
export { awsKmsKeyService } from "./key-service.js"
export type { AwsKmsKeyService, AwsKmsKeyServiceOptions } from "./key-service.js"
export type { AwsCredentials } from "./clients.js"
export { kmsKeysFromEnvironment, keyServiceFromEnv } from "./environment.js"
// The ARN rules live in core, which checks them when a key is parsed.
export { kmsArnRegion } from "@sops-ts/core"
export { stsSessionName } from "./session-name.js"
