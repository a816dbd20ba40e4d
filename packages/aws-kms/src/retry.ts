/**
 * Bounded retries with exponential backoff for one AWS call, and the per-operation deadline.
 * @module
 */
import { isRetryable, isStaleConnection } from "./aws-errors.js"

/** How {@link withRetries} retries. */
export interface RetryPolicy {
  /** Total attempts, first one included (≥ 1). */
  readonly maxAttempts: number
  /** Delay before the first retry; doubled for each further one, with jitter. */
  readonly baseDelayMs: number
  /** Upper bound of a single delay. */
  readonly maxDelayMs: number
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t)
      reject(signal.reason)
    }
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort)
      resolve()
    }, ms)
    signal.addEventListener("abort", onAbort, { once: true })
  })
}

/**
 * Runs `call` until it succeeds, fails with a non-retryable error, the attempts are used up,
 * or `signal` aborts. The last error is rethrown unchanged.
 */
export async function withRetries<T>(call: (signal: AbortSignal) => Promise<T>, policy: RetryPolicy, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted()
    try {
      return await call(signal)
    } catch (err) {
      if (signal.aborted || attempt >= policy.maxAttempts || !isRetryable(err)) throw err
      // A pooled keep-alive socket that the server closed fails at once; a fresh connection
      // needs no back-off, and then tells "service down" (refused, not retried) from a blip.
      if (attempt === 1 && isStaleConnection(err)) continue
      // Half fixed, half random: spreads out clients that were throttled together.
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
      await sleep(ceiling / 2 + (Math.random() * ceiling) / 2, signal)
    }
  }
}
