/**
 * One Vault transit call (`POST /v1/<engine>/<op>/<key>`) over `fetch`: headers, deadline,
 * bounded retries of transient answers, redirects re-checked against the allowlist, and
 * Vault's `{"errors": [...]}` bodies turned into readable reasons.
 * @module
 */
import { SopsError } from "@sops-ts/core"
import type { VaultAllowlist } from "./allowlist.js"
import { backoffDelay, isRetryableStatus, sleep } from "./retry.js"

/** The `fetch` signature the service needs (the global one, or an injected one). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

/** Everything one call needs. */
export interface TransitCall {
  readonly address: string
  readonly path: string
  readonly body: Readonly<Record<string, string>>
  readonly token: string
  readonly namespace: string | undefined
  readonly allowlist: VaultAllowlist
  readonly fetch: FetchLike
  readonly timeoutMs: number
  readonly maxAttempts: number
  readonly retryDelayMs: number
  readonly signal: AbortSignal | undefined
}

/** A failure with the reason to report; `aborted` is set when the caller's signal fired. */
export class TransitFailure extends Error {
  constructor(
    message: string,
    readonly kind: "aborted" | "timeout" | "http" | "network" | "response" | "refused",
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = "TransitFailure"
  }
}

const MAX_REDIRECTS = 3

/** Vault's error text from a JSON body, without echoing unexpected content at length. */
function vaultErrors(text: string): string {
  try {
    const parsed = JSON.parse(text) as unknown
    if (parsed !== null && typeof parsed === "object" && Array.isArray((parsed as { errors?: unknown }).errors)) {
      const errs = (parsed as { errors: unknown[] }).errors.filter((e): e is string => typeof e === "string")
      if (errs.length > 0) return errs.join("; ").slice(0, 500)
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): fall through to the generic reason.
  }
  return "no error details in the response"
}

function originOf(url: string): string {
  const u = new URL(url)
  return `${u.protocol}//${u.host}`
}

async function sendOnce(call: TransitCall, url: string, signal: AbortSignal, redirects: number): Promise<Response> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Vault-Token": call.token,
    // Vault refuses some API calls without this header when they could be CSRF; harmless here.
    "X-Vault-Request": "true",
  }
  if (call.namespace) headers["X-Vault-Namespace"] = call.namespace
  let res: Response
  try {
    res = await call.fetch(url, { method: "POST", headers, body: JSON.stringify(call.body), signal, redirect: "manual" })
  } catch (err) {
    if (signal.aborted) throw err
    const code = (err as { cause?: { code?: unknown } }).cause?.code
    throw new TransitFailure(`cannot reach Vault at ${call.address}: ${typeof code === "string" ? code : (err as Error).message}`, "network", undefined, { cause: err })
  }
  // Standby nodes redirect to the active node. The token goes with the request, so the
  // target must pass the allowlist like the original address did.
  if (res.status >= 300 && res.status < 400 && res.headers.get("location") !== null) {
    await res.body?.cancel()
    if (redirects >= MAX_REDIRECTS) throw new TransitFailure(`too many redirects from Vault at ${call.address}`, "response", res.status)
    const target = new URL(res.headers.get("location")!, url).toString()
    const origin = originOf(target)
    if (!call.allowlist.allows(origin)) {
      throw new TransitFailure(`Vault redirected to ${origin}, which SOPS_HC_VAULT_ALLOWLIST does not allow`, "refused", res.status)
    }
    return sendOnce(call, target, signal, redirects + 1)
  }
  return res
}

/**
 * Performs the call and returns the `data` object of a successful answer.
 * @throws TransitFailure with a secret-free reason
 */
export async function transitCall(call: TransitCall): Promise<Record<string, unknown>> {
  const timeout = AbortSignal.timeout(call.timeoutMs)
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout
  const url = `${call.address}/v1/${call.path}`
  try {
    for (let attempt = 1; ; attempt++) {
      const res = await sendOnce(call, url, signal, 0)
      const text = await res.text()
      if (res.ok) {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          throw new TransitFailure("Vault answered with a body that is not JSON", "response", res.status)
        }
        const data = (parsed as { data?: unknown } | null)?.data
        if (data === null || typeof data !== "object") {
          throw new TransitFailure("Vault's answer has no data (transit backend is empty)", "response", res.status)
        }
        return data as Record<string, unknown>
      }
      const reason = `Vault returned HTTP ${res.status}: ${vaultErrors(text)}`
      if (!isRetryableStatus(res.status) || attempt >= call.maxAttempts) {
        throw new TransitFailure(
          attempt > 1 ? `${reason} (after ${attempt} attempts)` : reason,
          "http",
          res.status,
        )
      }
      await sleep(backoffDelay(attempt, call.retryDelayMs, res.headers.get("retry-after")), signal)
    }
  } catch (err) {
    if (err instanceof TransitFailure) throw err
    if (call.signal?.aborted) throw new TransitFailure("the operation was aborted", "aborted", undefined, { cause: call.signal.reason })
    if (timeout.aborted) throw new TransitFailure(`Vault did not answer within ${call.timeoutMs} ms`, "timeout", undefined, { cause: err })
    throw new TransitFailure(`Vault request failed: ${(err as Error).message}`, "network", undefined, { cause: err })
  }
}

/** Converts a failure into the error the key service reports. */
export function toSopsError(err: unknown, code: "ERR_KEY_FAILED" | "ERR_KEY_WRAP", what: string): SopsError {
  if (err instanceof TransitFailure) {
    if (err.kind === "aborted") return new SopsError("ERR_ABORTED", `${what}: the operation was aborted`, { cause: err.cause })
    return new SopsError(code, `${what}: ${err.message}`, {
      cause: err,
      details: { reason: err.kind, ...(err.status === undefined ? {} : { status: err.status }) },
    })
  }
  if (err instanceof SopsError) return err
  return new SopsError(code, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
}
