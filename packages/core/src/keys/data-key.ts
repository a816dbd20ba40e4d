/**
 * Generating, wrapping and recovering the data key through key services, with key groups
 * and Shamir secret sharing (spec section 6).
 * @module
 */
import { randomBytes } from "node:crypto"
import { SopsError, KeyUnavailableError } from "../errors.js"
import { describeKey, type KeyGroup, type MasterKey } from "../metadata/model.js"
import { shamirCombine, shamirSplit } from "../shamir.js"
import type { KeyService } from "./key-service.js"

/** sops' default decryption order. */
export const DEFAULT_DECRYPTION_ORDER: readonly string[] = ["age", "pgp"]

/** Generates a fresh 32-byte data key from the CSPRNG. */
export function generateDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32))
}

/** Why one key could not be used. */
export interface KeyAttempt {
  /** `type id`, e.g. `age age1...` (never the wrapped key). */
  readonly key: string
  /** The key service that answered, or null when none supports the key type. */
  readonly service: string | null
  /** `unavailable`: not this service's key; `failed`: it is, and the operation failed. */
  readonly outcome: "unavailable" | "failed" | "unsupported"
  /** A secret-free reason. */
  readonly reason: string
}

/** Options for data key recovery. */
export interface RecoverOptions {
  readonly keyServices: readonly KeyService[]
  /** Key type order within each group; default age, pgp, then file order. */
  readonly decryptionOrder?: readonly string[]
  readonly signal?: AbortSignal
  /** Called after each attempt (for the event log and progress output). */
  readonly onAttempt?: (attempt: KeyAttempt & { readonly ok: boolean }) => void
}

/**
 * Validates a decryption order.
 * @throws SopsError `ERR_DECRYPTION_ORDER` when a type is listed twice
 */
export function parseDecryptionOrder(s: string | readonly string[]): string[] {
  const parts = (typeof s === "string" ? s.split(",") : [...s]).map((p) => p.trim()).filter((p) => p !== "")
  const seen = new Set<string>()
  for (const p of parts) {
    if (seen.has(p)) throw new SopsError("ERR_DECRYPTION_ORDER", `Duplicate decryption key type: ${p}`)
    seen.add(p)
  }
  return parts
}

/** Stable sort of a group's keys by the position of their type in `order` (unlisted last). */
export function sortByDecryptionOrder(group: readonly MasterKey[], order: readonly string[]): MasterKey[] {
  const rank = (k: MasterKey): number => {
    const i = order.indexOf(k.type)
    return i === -1 ? order.length : i
  }
  return group
    .map((k, i) => ({ k, i }))
    .sort((a, b) => rank(a.k) - rank(b.k) || a.i - b.i)
    .map((x) => x.k)
}

function reasonOf(err: unknown): string {
  if (err instanceof SopsError) return err.message
  if (err instanceof Error) return err.message
  return String(err)
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SopsError("ERR_ABORTED", "the operation was aborted", { cause: signal.reason })
}

/**
 * Tries one key against every supporting key service, in order.
 * Returns the unwrapped bytes, or null with the attempts recorded.
 */
async function tryKey(key: MasterKey, options: RecoverOptions, attempts: KeyAttempt[]): Promise<Uint8Array | null> {
  const services = options.keyServices.filter((s) => s.supports(key))
  if (services.length === 0) {
    const a: KeyAttempt = {
      key: describeKey(key),
      service: null,
      outcome: "unsupported",
      reason: `no key service for ${key.type} keys is configured`,
    }
    attempts.push(a)
    options.onAttempt?.({ ...a, ok: false })
    return null
  }
  for (const svc of services) {
    checkAborted(options.signal)
    try {
      const out = await svc.decrypt(key, options.signal ? { signal: options.signal } : {})
      if (out !== null) {
        options.onAttempt?.({ key: describeKey(key), service: svc.name, outcome: "unavailable", reason: "", ok: true })
        return out
      }
      const a: KeyAttempt = { key: describeKey(key), service: svc.name, outcome: "unavailable", reason: "no identity or credential for this key" }
      attempts.push(a)
      options.onAttempt?.({ ...a, ok: false })
    } catch (err) {
      // Only the caller's own abort stops the search; a provider's timeout is one failed key.
      if (options.signal?.aborted) checkAborted(options.signal)
      const a: KeyAttempt = {
        key: describeKey(key),
        service: svc.name,
        outcome: err instanceof KeyUnavailableError ? "unavailable" : "failed",
        reason: reasonOf(err),
      }
      attempts.push(a)
      options.onAttempt?.({ ...a, ok: false })
    }
  }
  return null
}

/**
 * Recovers the data key: each group is satisfied by any one of its keys (tried in
 * decryption order); with two or more groups, `threshold` shares are combined.
 * @throws SopsError `ERR_NO_DATA_KEY` listing every key tried and why it failed
 */
export async function recoverDataKey(
  keyGroups: readonly KeyGroup[],
  shamirThreshold: number,
  options: RecoverOptions,
): Promise<Uint8Array> {
  const order = options.decryptionOrder ?? DEFAULT_DECRYPTION_ORDER
  const attemptsByGroup: KeyAttempt[][] = []
  const opened: boolean[] = []
  const parts: Uint8Array[] = []
  const needed = keyGroups.length <= 1 ? 1 : shamirThreshold > 0 ? shamirThreshold : keyGroups.length
  for (const group of keyGroups) {
    const attempts: KeyAttempt[] = []
    attemptsByGroup.push(attempts)
    for (const key of sortByDecryptionOrder(group, order)) {
      const part = await tryKey(key, options, attempts)
      if (part !== null) {
        parts.push(part)
        opened[attemptsByGroup.length - 1] = true
        break
      }
    }
    if (parts.length >= needed) break
  }
  if (keyGroups.length === 1 && parts.length === 1) return parts[0]!
  if (keyGroups.length > 1 && parts.length >= needed && parts.length >= 2) return shamirCombine(parts)
  throw noDataKeyError(keyGroups, needed, parts.length, attemptsByGroup, opened)
}

function noDataKeyError(
  keyGroups: readonly KeyGroup[],
  needed: number,
  got: number,
  attempts: KeyAttempt[][],
  opened: boolean[],
): SopsError {
  const groups = keyGroups.length
  const lines: string[] = []
  if (groups <= 1) lines.push("Failed to get the data key required to decrypt the SOPS file. Tried these master keys:")
  else lines.push(`Failed to get the data key: ${got} of ${needed} required key groups could be decrypted. Tried these master keys:`)
  attempts.forEach((group, gi) => {
    if (groups > 1) lines.push(`  group ${gi + 1}:`)
    for (const a of group) lines.push(`${groups > 1 ? "    " : "  "}- ${a.key}${a.service ? ` (${a.service})` : ""}: ${a.reason}`)
    if (opened[gi]) lines.push(`${groups > 1 ? "    " : "  "}(this group's share was recovered)`)
    else if ((keyGroups[gi] ?? []).length === 0) lines.push(`${groups > 1 ? "    " : "  "}(no keys in this group)`)
  })
  const unsupported = attempts.flat().filter((a) => a.outcome === "unsupported")
  if (unsupported.length > 0 && unsupported.length === attempts.flat().length) {
    lines.push("No installed key service can open any of these keys; configure identities or install the provider package.")
  }
  return new SopsError("ERR_NO_DATA_KEY", lines.join("\n"), { details: { attempts } })
}

/** Options for wrapping. */
export interface WrapOptions {
  readonly keyServices: readonly KeyService[]
  readonly signal?: AbortSignal
  /**
   * Keep keys that no configured service supports, with their current `enc`, instead of
   * failing. Only correct when the data key did not change (edit, set, updatekeys).
   */
  readonly keepUnsupported?: boolean
}

/**
 * Wraps the data key for every master key. One group: every key wraps the key itself; two or
 * more: the key is split with Shamir (threshold defaults to the number of groups) and group i
 * gets the share with x = i + 1. Returns new key groups (inputs are not modified) and the
 * threshold to record.
 * @throws SopsError `ERR_KEY_GROUPS` for empty groups, `ERR_KEY_WRAP` listing each failure
 */
export async function wrapDataKey(
  keyGroups: readonly KeyGroup[],
  dataKey: Uint8Array,
  shamirThreshold: number,
  options: WrapOptions,
): Promise<{ keyGroups: KeyGroup[]; shamirThreshold: number }> {
  if (keyGroups.length === 0) throw new SopsError("ERR_KEY_GROUPS", "no key groups provided")
  for (const g of keyGroups) if (g.length === 0) throw new SopsError("ERR_KEY_GROUPS", "empty key group provided")
  let threshold = shamirThreshold
  let parts: Uint8Array[]
  if (keyGroups.length === 1) {
    parts = [dataKey]
  } else {
    if (threshold === 0) threshold = keyGroups.length
    if (threshold > keyGroups.length) {
      throw new SopsError("ERR_KEY_GROUPS", `the Shamir threshold (${threshold}) is larger than the number of key groups (${keyGroups.length})`)
    }
    parts = shamirSplit(dataKey, keyGroups.length, threshold)
  }
  const failures: string[] = []
  const out: KeyGroup[] = []
  for (let gi = 0; gi < keyGroups.length; gi++) {
    const group: KeyGroup = []
    for (const key of keyGroups[gi]!) {
      const services = options.keyServices.filter((s) => s.supports(key))
      if (services.length === 0) {
        if (options.keepUnsupported && key.enc !== "") {
          group.push({ ...key })
          continue
        }
        failures.push(`${describeKey(key)}: no key service for ${key.type} keys is configured`)
        continue
      }
      let wrapped: MasterKey | null = null
      const errs: string[] = []
      for (const svc of services) {
        checkAborted(options.signal)
        try {
          const r = await svc.encrypt(key, parts[gi]!, options.signal ? { signal: options.signal } : {})
          wrapped = typeof r === "string" ? { ...key, enc: r } : { ...r.key }
          break
        } catch (err) {
          if (options.signal?.aborted) checkAborted(options.signal)
          errs.push(`${svc.name}: ${reasonOf(err)}`)
        }
      }
      if (wrapped === null) failures.push(`${describeKey(key)}: ${errs.join("; ")}`)
      else group.push(wrapped)
    }
    out.push(group)
  }
  if (failures.length > 0) {
    throw new SopsError("ERR_KEY_WRAP", `Could not wrap the data key for every master key:\n  - ${failures.join("\n  - ")}`, {
      details: { failures },
    })
  }
  return { keyGroups: out, shamirThreshold: keyGroups.length > 1 ? threshold : shamirThreshold }
}
