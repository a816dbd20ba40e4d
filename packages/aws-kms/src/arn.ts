/**
 * What sops reads out of a KMS key ARN: whether it is one, and the region to call.
 * @module
 */

// Same pattern as sops' `arnRegex` (core's KMS_ARN_PATTERN), written so that a native RegExp
// gives the same region as sops: Go's `.` is every character but "\n", while JavaScript's
// also stops at "\r", U+2028 and U+2029, hence `[^\n]`; `\w` is ASCII in both, `$` is the
// end of the input without the m flag, and greedy capture groups pick the same span.
const KMS_ARN = /^arn:aws[\w-]*:kms:([^\n]+):[0-9]+:(key|alias)\/[^\n]+$/

/**
 * The region of a KMS key or alias ARN (capture 1 of sops' ARN pattern), or null when `arn`
 * is not one. The region is taken verbatim, exactly as sops passes it to the SDK.
 * @example
 * ```ts
 * kmsArnRegion("arn:aws:kms:eu-west-1:111122223333:key/1234") // "eu-west-1"
 * ```
 */
export function kmsArnRegion(arn: string): string | null {
  const m = KMS_ARN.exec(arn)
  return m === null ? null : m[1]!
}
