/**
 * One KMS operation under the service's policy: a time limit per attempt, bounded retries
 * with exponential backoff for throttling and transient errors, and the caller's AbortSignal.
 * @module
 */
import { SopsError } from "@sops-ts/core"
import { classify, safeCause, type Classified } from "./classify.js"

/** The retry and timeout settings, resolved. */
export interface CallPolicy {
  readonly timeoutMs: number
  readonly maxAttempts: number
  readonly retryDelayMs: number
}

/** A call that failed for good: the last classified error and how many attempts were made. */
export class CallFailure extends Error {
  constructor(
    readonly classified: Classified,
    readonly attempts: number,
    options: { cause?: unknown },
  ) {
    super(classified.reason, options)
    this.name = "CallFailure"
  }
}

function aborted(signal: AbortSignal): SopsError {
  return new SopsError("ERR_ABORTED", "the GCP KMS call was aborted", { cause: signal.reason })
}

/** Resolves after `ms`, or rejects with `ERR_ABORTED` when `signal` fires first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(aborted(signal))
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(aborted(signal!))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort)
      resolve()
    }, ms)
    signal?.addEventListener("abort", onAbort, { once: true })
  })
}

const TIMEOUT = Symbol("timeout")

/**
 * How much later than our own timer the client library's deadline is set. Both deadlines
 * used to be the same instant, and on a busy event loop gRPC's could fire first: the timeout
 * was then reported as the library's `DEADLINE_EXCEEDED` instead of "timed out after N ms".
 * With a later backstop, a timeout always ends through our timer (one message, one status);
 * the library's deadline only ends the abandoned call, whose answer is ignored.
 */
const LIBRARY_DEADLINE_GRACE_MS = 1_000

/**
 * Runs `fn` once within `timeoutMs`; the caller's abort wins over everything. `fn` gets the
 * deadline to give the client library, a little later than ours. A timed-out call is left to
 * that deadline (google-gax calls cannot be cancelled from outside), its result ignored.
 */
function attempt<T>(fn: (timeoutMs: number) => Promise<T>, timeoutMs: number, signal: AbortSignal | undefined): Promise<T | typeof TIMEOUT> {
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (f: () => void): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener("abort", onAbort)
      f()
    }
    const onAbort = (): void => finish(() => reject(aborted(signal!)))
    const timer = setTimeout(() => finish(() => resolve(TIMEOUT)), timeoutMs)
    signal?.addEventListener("abort", onAbort, { once: true })
    fn(timeoutMs + LIBRARY_DEADLINE_GRACE_MS).then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    )
  })
}

/**
 * Runs `fn` under `policy`.
 * @throws SopsError `ERR_ABORTED` when `signal` fires
 * @throws CallFailure when every attempt failed, or a non-retryable error occurred
 */
export async function runWithPolicy<T>(fn: (timeoutMs: number) => Promise<T>, policy: CallPolicy, signal: AbortSignal | undefined): Promise<T> {
  for (let n = 1; ; n++) {
    if (signal?.aborted) throw aborted(signal)
    let failure: Classified
    let cause: unknown
    try {
      const out = await attempt(fn, policy.timeoutMs, signal)
      if (out !== TIMEOUT) return out
      failure = { status: "DEADLINE_EXCEEDED", retryable: false, reason: `timed out after ${policy.timeoutMs} ms` }
    } catch (err) {
      if (err instanceof SopsError) throw err
      cause = safeCause(err)
      failure = classify(err)
    }
    if (!failure.retryable || n >= policy.maxAttempts) throw new CallFailure(failure, n, { cause })
    await sleep(Math.min(policy.retryDelayMs * 2 ** (n - 1), 10_000), signal)
  }
}
