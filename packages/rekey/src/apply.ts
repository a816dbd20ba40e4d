/**
 * Carrying out a plan on one parsed file, unwrapping its data key (or each needed Shamir
 * share) once. Without rotation the data key stays the same, so kept master keys keep their
 * `enc` byte for byte, including keys whose provider is not installed; only new keys are
 * wrapped. Rotation needs every key wrapped again, so a key without a service is a failure
 * for that file rather than a silently dropped recipient.
 * @module
 */
import {
  SopsError,
  describeKey,
  emitEncrypted,
  generateDataKey,
  openDocument,
  recoverDataKey,
  sealDocument,
  shamirCombine,
  wrapDataKey,
  type EncryptedDocument,
  type Format,
  type KeyGroup,
  type KeyService,
  type MasterKey,
  type StoreOptions,
} from "@sops-ts/core"
import { keyIdentity, type FilePlan } from "./plan.js"

/** What {@link applyPlan} needs besides the file. */
export interface ApplyContext {
  readonly keyServices: readonly KeyService[]
  readonly decryptionOrder?: readonly string[]
  readonly verify: boolean
  readonly storeOptions: StoreOptions
  readonly now?: () => Date
}

function requireServices(keys: readonly MasterKey[], services: readonly KeyService[], why: string): void {
  const missing = keys.filter((k) => !services.some((s) => s.supports(k)))
  if (missing.length > 0) {
    throw new SopsError(
      "ERR_KEY_WRAP",
      `${why}, but no key service is installed for ${missing.map(describeKey).join(", ")}; install its provider, or remove the key in the same run`,
      { details: { keys: missing.map(describeKey) } },
    )
  }
}

function recover(groups: readonly KeyGroup[], threshold: number, ctx: ApplyContext): Promise<Uint8Array> {
  return recoverDataKey(groups, threshold, {
    keyServices: ctx.keyServices,
    ...(ctx.decryptionOrder ? { decryptionOrder: ctx.decryptionOrder } : {}),
  })
}

/**
 * Checks the MAC (and every value) with `dataKey`. It decrypts `doc` in place, so it runs
 * after the new file was emitted.
 */
async function verifyWith(doc: EncryptedDocument, dataKey: Uint8Array): Promise<void> {
  await openDocument(doc, { keyServices: [], dataKey })
}

/** Emits the file with new key groups (values and MAC untouched). */
type Emit = (groups: KeyGroup[]) => Uint8Array

/**
 * Produces the new file bytes for `plan`.
 * @throws SopsError from unwrapping, wrapping, MAC verification or emitting
 */
export async function applyPlan(doc: EncryptedDocument, format: Format, plan: FilePlan, ctx: ApplyContext): Promise<Uint8Array> {
  if (plan.rotate) return rotateDocument(doc, format, plan, ctx)
  const old = doc.metadata.keyGroups
  const sameShares = old.length === plan.groups.length && (old.length <= 1 || doc.metadata.shamirThreshold === plan.threshold)
  const emit: Emit = (keyGroups) =>
    emitEncrypted({ branches: doc.branches, metadata: { ...doc.metadata, keyGroups, shamirThreshold: plan.threshold } }, format, ctx.storeOptions)
  return sameShares ? addToSameShares(doc, plan, ctx, emit) : resplit(doc, plan, ctx, emit)
}

/**
 * Same data key and same Shamir layout: each group keeps its share, so only groups that gain
 * keys need their share unwrapped (once) and wrapped for the new keys.
 */
async function addToSameShares(doc: EncryptedDocument, plan: FilePlan, ctx: ApplyContext, emit: Emit): Promise<Uint8Array> {
  const old = doc.metadata.keyGroups
  const needs = plan.groups.map((g) => g.some((k) => k.enc === ""))
  // Only removals: no key material is needed at all.
  if (!needs.some(Boolean)) return emit(plan.groups)
  requireServices(plan.groups.flat().filter((k) => k.enc === ""), ctx.keyServices, "new keys must be given the data key")
  const shares = new Map<number, Uint8Array>()
  let verifyKey: Uint8Array | null = null
  try {
    if (old.length <= 1) {
      shares.set(0, await recover(old, 0, ctx))
      verifyKey = shares.get(0)!
    } else {
      for (let gi = 0; gi < old.length; gi++) if (needs[gi]) shares.set(gi, await recover([old[gi]!], 0, ctx))
      const threshold = doc.metadata.shamirThreshold || old.length
      if (ctx.verify) {
        for (let gi = 0; gi < old.length && shares.size < threshold; gi++) {
          if (!shares.has(gi)) shares.set(gi, await recover([old[gi]!], 0, ctx).catch(() => new Uint8Array(0)))
        }
        const usable = [...shares.values()].filter((s) => s.length > 0)
        if (usable.length < threshold) {
          throw new SopsError("ERR_NO_DATA_KEY", `only ${usable.length} of ${threshold} key groups could be opened to verify the file`)
        }
        verifyKey = shamirCombine(usable.slice(0, threshold))
      }
    }
    const out: KeyGroup[] = []
    for (let gi = 0; gi < plan.groups.length; gi++) {
      const group = plan.groups[gi]!
      const fresh = group.filter((k) => k.enc === "")
      if (fresh.length === 0) {
        out.push(group)
        continue
      }
      const wrapped = (await wrapDataKey([fresh], shares.get(gi)!, 0, { keyServices: ctx.keyServices })).keyGroups[0]!
      const byId = new Map(wrapped.map((k) => [keyIdentity(k), k]))
      out.push(group.map((k) => (k.enc === "" ? byId.get(keyIdentity(k))! : k)))
    }
    const output = emit(out)
    if (ctx.verify && verifyKey) await verifyWith(doc, verifyKey)
    return output
  } finally {
    verifyKey?.fill(0)
    for (const s of shares.values()) s.fill(0)
  }
}

/** Same data key, new Shamir layout: recover the key and wrap it for every key again. */
async function resplit(doc: EncryptedDocument, plan: FilePlan, ctx: ApplyContext, emit: Emit): Promise<Uint8Array> {
  requireServices(plan.groups.flat(), ctx.keyServices, "changing the key-group layout re-wraps every key")
  const dataKey = await recover(doc.metadata.keyGroups, doc.metadata.shamirThreshold, ctx)
  try {
    const fresh = plan.groups.map((g) => g.map((k) => ({ ...k, enc: "" })))
    const output = emit((await wrapDataKey(fresh, dataKey, plan.threshold, { keyServices: ctx.keyServices })).keyGroups)
    if (ctx.verify) await verifyWith(doc, dataKey)
    return output
  } finally {
    dataKey.fill(0)
  }
}

/** New data key: decrypt (verifying the MAC), wrap the new key for every master key, re-encrypt. */
async function rotateDocument(doc: EncryptedDocument, format: Format, plan: FilePlan, ctx: ApplyContext): Promise<Uint8Array> {
  requireServices(plan.groups.flat(), ctx.keyServices, "rotating wraps a new data key for every master key")
  const opened = await openDocument(doc, {
    keyServices: ctx.keyServices,
    ...(ctx.decryptionOrder ? { decryptionOrder: ctx.decryptionOrder } : {}),
  })
  const newKey = generateDataKey()
  try {
    const fresh = plan.groups.map((g) => g.map((k) => ({ ...k, enc: "" })))
    const wrapped = await wrapDataKey(fresh, newKey, plan.threshold, { keyServices: ctx.keyServices })
    const metadata = { ...opened.metadata, keyGroups: wrapped.keyGroups, shamirThreshold: wrapped.shamirThreshold }
    const sealed = sealDocument(opened.branches, metadata, newKey, ctx.now ? { now: ctx.now } : {})
    return emitEncrypted(sealed, format, ctx.storeOptions)
  } finally {
    newKey.fill(0)
    opened.dataKey.fill(0)
  }
}
