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

/**
 * HTTP statuses mapped to gRPC status names (google.rpc.Code's HTTP mapping), for REST errors
 * whose body has no Google error envelope.
 */
const HTTP_STATUS: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "UNIMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
}

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

/**
 * An HTTP error response as google-auth-library's HTTP client (gaxios) reports it: when the
 * client authenticates with credentials rather than a bearer token, REST calls go through it
 * and a non-2xx answer arrives as `{ status: 401, response: { status }, message: <body> }`
 * instead of a gRPC-coded error. The status comes from Google's JSON error envelope
 * (`{"error":{"code","message","status"}}`) when the body has one, else from the HTTP code.
 */
function httpFailure(err: unknown, message: string): { status: string; details: string } | undefined {
  if (err === null || typeof err !== "object") return undefined
  const response = (err as { response?: unknown }).response
  const http = response !== null && typeof response === "object" ? (response as { status?: unknown }).status : undefined
  if (typeof http !== "number" || http < 400) return undefined
  const data = (response as { data?: unknown }).data
  const envelope = googleErrorEnvelope(typeof data === "string" || (data !== null && typeof data === "object") ? data : message)
  const status = envelope?.status ?? HTTP_STATUS[http] ?? (http >= 500 ? "UNAVAILABLE" : "UNKNOWN")
  return { status, details: firstLine(envelope?.message ?? `HTTP ${http}`) }
}

/** `error.status` (a gRPC status name) and `error.message` of Google's JSON error body. */
function googleErrorEnvelope(body: unknown): { status: string | undefined; message: string | undefined } | undefined {
  let parsed = body
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body)
    } catch {
      return undefined
    }
  }
  const e = parsed !== null && typeof parsed === "object" ? (parsed as { error?: unknown }).error : undefined
  if (e === null || typeof e !== "object") return undefined
  const { status, message } = e as { status?: unknown; message?: unknown }
  return {
    status: typeof status === "string" && Object.values(STATUS).includes(status) ? status : undefined,
    message: typeof message === "string" ? message : undefined,
  }
}

/** Classifies an error thrown by a Cloud KMS client call. */
export function classify(err: unknown): Classified {
  const message = err instanceof Error ? err.message : String(err)
  if (/Could not load the default credentials|Unable to detect a Project Id|could not load.*credentials/i.test(message)) {
    return { status: "NO_CREDENTIALS", retryable: false, reason: "no GCP credentials found (application default credentials are not set up)" }
  }
  const http = httpFailure(err, message)
  if (http !== undefined) return described(http.status, http.details)
  const status = err !== null && typeof err === "object" ? statusOf(err as Record<string, unknown>) : undefined
  if (status === "NETWORK" || (status === undefined && networkCause(err))) {
    return { status: "UNAVAILABLE", retryable: true, reason: `the service could not be reached: ${firstLine(message)}` }
  }
  if (status === undefined) return { status: "UNKNOWN", retryable: false, reason: firstLine(message) }
  return described(status, serverDetails(err, message))
}

function described(status: string, details: string): Classified {
  const hint = HINTS[status] ?? status
  return { status, retryable: RETRYABLE.has(status), reason: details ? `${hint} (${status}: ${details})` : `${hint} (${status})` }
}

/**
 * The error to keep as a `cause`. gaxios errors (REST calls authenticated by
 * google-auth-library) hold the whole request in `config`, and the body of an Encrypt request
 * is the plaintext data key: such an error is replaced by a plain one with its message, code
 * and HTTP status, so logging the cause chain shows no key material. Other errors pass as is.
 */
export function safeCause(err: unknown, depth = 0): unknown {
  if (err === null || typeof err !== "object" || !("config" in err)) return err
  const { message, code, status, cause } = err as { message?: unknown; code?: unknown; status?: unknown; cause?: unknown }
  const safe = new Error(typeof message === "string" ? message : "request failed", depth < 4 && cause !== undefined ? { cause: safeCause(cause, depth + 1) } : {})
  safe.name = (err as { name?: unknown }).name === "GaxiosError" ? "GaxiosError" : "HttpError"
  return Object.assign(safe, code === undefined ? {} : { code }, status === undefined ? {} : { status })
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
