/**
 * Classifies what the AWS SDK throws: which failures are worth retrying, which mean "no
 * credentials here" rather than "this key failed", and a short secret-free reason.
 * @module
 */

/** Error names AWS services use for request-rate limits. */
const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  // KMS used this name for its request-rate quota before it adopted ThrottlingException.
  "LimitExceededException",
])

/** Server-side failures that AWS documents as transient. */
const TRANSIENT = new Set([
  "KMSInternalException",
  "DependencyTimeoutException",
  "InternalFailure",
  "InternalError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "RequestTimeout",
  "RequestTimeoutException",
])

/** Socket errors after which the same request may well succeed. Connection refused is not
 * one of them: nothing listens there, and the next key should be tried without delay. */
const TRANSIENT_SOCKET = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ENETUNREACH", "ECONNABORTED"])

interface SdkErrorLike {
  readonly name?: unknown
  readonly message?: unknown
  readonly code?: unknown
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly clockSkewCorrected?: unknown }
  readonly $retryable?: unknown
}

function fields(err: unknown): SdkErrorLike {
  return typeof err === "object" && err !== null ? (err as SdkErrorLike) : {}
}

function statusOf(err: unknown): number | undefined {
  const s = fields(err).$metadata?.httpStatusCode
  return typeof s === "number" ? s : undefined
}

/**
 * A stable label for the failure: the AWS error name (`AccessDeniedException`), else the
 * socket error code (`ECONNREFUSED`), else the JavaScript error name, else "error".
 */
export function awsErrorName(err: unknown): string {
  const f = fields(err)
  const n = typeof f.name === "string" ? f.name : ""
  if (n !== "" && n !== "Error") return n
  if (typeof f.code === "string" && f.code !== "") return f.code
  return n === "" ? "error" : n
}

/** What some terse AWS errors mean for a sops user. */
const HINTS: Readonly<Record<string, string>> = {
  InvalidCiphertextException: "the ciphertext does not open with this key and encryption context",
  IncorrectKeyException: "the ciphertext was made with a different KMS key",
  ECONNREFUSED: "nothing is listening at the AWS endpoint",
}

/**
 * True for throttling, transient server failures (5xx, 429), flaky sockets, and a request
 * refused for a clock skew that the answer let the client correct.
 */
export function isRetryable(err: unknown): boolean {
  const f = fields(err)
  const name = awsErrorName(err)
  if (THROTTLING.has(name) || TRANSIENT.has(name)) return true
  if (f.$metadata?.clockSkewCorrected === true) return true
  const status = statusOf(err)
  if (status !== undefined && (status >= 500 || status === 429)) return true
  if (typeof f.code === "string" && TRANSIENT_SOCKET.has(f.code)) return true
  return typeof f.$retryable === "object" && f.$retryable !== null
}

/** True for a connection reset, as when a pooled keep-alive socket was closed by the server. */
export function isStaleConnection(err: unknown): boolean {
  const code = fields(err).code
  return code === "ECONNRESET" || code === "EPIPE"
}

/**
 * True when the SDK found no credentials at all (default chain empty, profile missing):
 * the key is not usable from here, which is not the same as the key failing.
 */
export function isMissingCredentials(err: unknown): boolean {
  return awsErrorName(err) === "CredentialsProviderError"
}

/**
 * A one-line reason: `AccessDeniedException: User ... is not authorized ...`, or the socket
 * error (`connect ECONNREFUSED 127.0.0.1:4566`). AWS messages name principals and
 * resources, never secrets.
 */
export function describeAwsError(err: unknown): string {
  const f = fields(err)
  const name = awsErrorName(err)
  const message = typeof f.message === "string" ? f.message.split("\n")[0]!.trim() : String(err)
  const status = statusOf(err)
  const label = name !== "" && name !== "Error" && !message.startsWith(name) ? `${name}: ` : ""
  const http = status !== undefined && status >= 400 ? ` (HTTP ${status})` : ""
  const hint = HINTS[name] ?? (typeof f.code === "string" ? HINTS[f.code] : undefined)
  const bare = message === "" || message === "UnknownError"
  const text = bare ? (hint ?? "(no message)") : hint === undefined ? message : `${message} (${hint})`
  return `${label}${text}${http}`
}
