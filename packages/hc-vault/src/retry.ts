/**
 * Deadlines, abortable sleeps and the retry decision shared by the transit calls.
 * @module
 */

/** Statuses worth retrying: throttling, and Vault's sealed/standby/unavailable answers. */
const RETRYABLE = new Set([412, 429, 500, 502, 503, 504])

/** Whether an HTTP status is transient. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status)
}

/**
 * Waits `ms` milliseconds, or rejects with the signal's reason as soon as it aborts.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort)
      resolve()
    }, ms)
    signal.addEventListener("abort", onAbort, { once: true })
  })
}

/** The delay before attempt `attempt + 1` (exponential, capped at 10 s), or Retry-After. */
export function backoffDelay(attempt: number, baseMs: number, retryAfter: string | null): number {
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
    return Math.min(Number(retryAfter.trim()) * 1000, 10_000)
  }
  return Math.min(baseMs * 2 ** (attempt - 1), 10_000)
}
