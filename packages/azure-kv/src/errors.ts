/**
 * Turns Azure SDK failures into secret-free {@link SopsError}s that name the key.
 * @module
 */
import { KeyUnavailableError, SopsError } from "@sops-ts/core"

/** Credential errors of `@azure/identity`: no usable credential, so the key is not ours. */
const CREDENTIAL_ERRORS = new Set(["CredentialUnavailableError", "AggregateAuthenticationError", "AuthenticationRequiredError"])

interface SdkErrorShape {
  readonly name?: string
  readonly message?: string
  readonly statusCode?: number
  readonly code?: string
}

/** How an operation ended, for the mapping. */
export interface FailureContext {
  /** e.g. `decrypt with azure_kv https://…/keys/k/v failed` */
  readonly what: string
  readonly code: "ERR_KEY_FAILED" | "ERR_KEY_WRAP"
  /** The caller's signal fired. */
  readonly aborted: boolean
  /** The per-call deadline fired. */
  readonly timedOut: boolean
  readonly timeoutMs: number
}

/** Maps one SDK error. */
export function azureFailure(err: unknown, ctx: FailureContext): SopsError {
  if (err instanceof SopsError) return err
  if (ctx.aborted) return new SopsError("ERR_ABORTED", `${ctx.what}: the operation was aborted`, { cause: err })
  if (ctx.timedOut) {
    return new SopsError(ctx.code, `${ctx.what}: Azure Key Vault did not answer within ${ctx.timeoutMs} ms`, {
      cause: err,
      details: { reason: "timeout" },
    })
  }
  const e = (err ?? {}) as SdkErrorShape
  if (e.name !== undefined && CREDENTIAL_ERRORS.has(e.name)) {
    return new KeyUnavailableError(`${ctx.what}: no Azure credential is available (${firstLine(e.message)})`, { cause: err })
  }
  if (typeof e.statusCode === "number") {
    const reason =
      e.statusCode === 401 ? "not authenticated" : e.statusCode === 403 ? "access denied" : e.statusCode === 404 ? "key not found" : e.statusCode === 429 ? "throttled" : "request failed"
    return new SopsError(ctx.code, `${ctx.what}: ${reason} (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ""}: ${firstLine(e.message)})`, {
      cause: err,
      details: { reason, status: e.statusCode, ...(e.code ? { azureCode: e.code } : {}) },
    })
  }
  if (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code)) {
    return new SopsError(ctx.code, `${ctx.what}: cannot reach Azure Key Vault (${e.code})`, { cause: err, details: { reason: "network", errno: e.code } })
  }
  return new SopsError(ctx.code, `${ctx.what}: ${firstLine(e.message ?? String(err))}`, { cause: err })
}

function firstLine(s: string | undefined): string {
  const line = (s ?? "").split("\n")[0]!.trim()
  return line.length > 300 ? line.slice(0, 300) + "…" : line
}
