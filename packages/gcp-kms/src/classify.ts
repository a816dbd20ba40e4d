/**
 * Turns what google-gax throws (gRPC status errors, REST errors mapped to gRPC codes, network
 * and auth-library errors) into a reason, and decides what is worth retrying.
 * @module
 */

/** gRPC status names by number. */
const STATUS: Readonly<Record<number, string>> = {
  1: "CANCELLED",
  2: "UNKNOWN",
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  5: "NOT_FOUND",
  6: "ALREADY_EXISTS",
  7: "PERMISSION_DENIED",
  8: "RESOURCE_EXHAUSTED",
  9: "FAILED_PRECONDITION",
  10: "ABORTED",
  11: "OUT_OF_RANGE",
  12: "UNIMPLEMENTED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  15: "DATA_LOSS",
  16: "UNAUTHENTICATED",
}

/**
 * Throttling and transient states: retried with backoff. CANCELLED is included because the
 * service's own aborts never reach classification: it only arrives here when the connection
 * was torn down under the call (a server restart, a dropped HTTP/2 session).
 */
const RETRYABLE = new Set(["RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "CANCELLED"])

/** Network error codes of Node sockets that mean "could not reach the service". */
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "UND_ERR_SOCKET"])

/** What went wrong with one call. */
export interface Classified {
  /** A gRPC status name, `NO_CREDENTIALS`, `NETWORK` or `UNKNOWN`. */
  readonly status: string
  /** Worth another attempt. */
  readonly retryable: boolean
  /** A one-line explanation for the error message. */
  readonly reason: string
}

const HINTS: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: "the credentials were rejected or are missing",
  PERMISSION_DENIED: "permission denied (needs cloudkms.cryptoKeyVersions.useToEncrypt / useToDecrypt on the key)",
  NOT_FOUND: "the key does not exist",
  INVALID_ARGUMENT: "the request was rejected as invalid",
  FAILED_PRECONDITION: "the key cannot be used (disabled or destroyed version?)",
  RESOURCE_EXHAUSTED: "throttled (quota exceeded)",
  UNAVAILABLE: "the service is unavailable",
  INTERNAL: "internal server error",
  DEADLINE_EXCEEDED: "the call exceeded its deadline",
  CANCELLED: "the connection was lost during the call",
}

function statusOf(err: Record<string, unknown>): string | undefined {
  const code = err["code"]
  if (typeof code === "number") return STATUS[code]
  if (typeof code === "string") {
    if (/^[A-Z_]+$/.test(code) && Object.values(STATUS).includes(code)) return code
    if (NETWORK.has(code)) return "NETWORK"
  }
  return undefined
}

function networkCause(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === "string" && NETWORK.has(code)) return true
  }
  return false
}

/** Classifies an error thrown by a Cloud KMS client call. */
export function classify(err: unknown): Classified {
  const message = err instanceof Error ? err.message : String(err)
  if (/Could not load the default credentials|Unable to detect a Project Id|could not load.*credentials/i.test(message)) {
    return { status: "NO_CREDENTIALS", retryable: false, reason: "no GCP credentials found (application default credentials are not set up)" }
  }
  const status = err !== null && typeof err === "object" ? statusOf(err as Record<string, unknown>) : undefined
  if (status === "NETWORK" || (status === undefined && networkCause(err))) {
    return { status: "UNAVAILABLE", retryable: true, reason: `the service could not be reached: ${firstLine(message)}` }
  }
  if (status === undefined) return { status: "UNKNOWN", retryable: false, reason: firstLine(message) }
  const details = serverDetails(err, message)
  const hint = HINTS[status] ?? status
  return { status, retryable: RETRYABLE.has(status), reason: details ? `${hint} (${status}: ${details})` : `${hint} (${status})` }
}

function firstLine(s: string): string {
  const line = s.split("\n", 1)[0] ?? ""
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}

/** The server's own words: `details` of a gRPC error, else the message minus its "7 PERMISSION_DENIED: " prefix. */
function serverDetails(err: unknown, message: string): string {
  const d = (err as { details?: unknown }).details
  const text = typeof d === "string" && d !== "" ? d : message.replace(/^\d+ [A-Z_]+: ?/, "")
  return firstLine(text)
}
