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
export { kmsArnRegion } from "./arn.js"
export { stsSessionName } from "./session-name.js"
