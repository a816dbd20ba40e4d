/**
 * Changing an encrypted file: rotate the data key, replace or add/remove master keys, set
 * and unset values. Each returns the new file bytes; nothing is written to disk here.
 * @module
 */
import { SopsError } from "../errors.js"
import { generateDataKey, recoverDataKey, wrapDataKey, DEFAULT_DECRYPTION_ORDER } from "../keys/data-key.js"
import { resolveKeyServices } from "../keys/registry.js"
import { keyId, type KeyGroup, type MasterKey } from "../metadata/model.js"
import type { Format } from "../stores/store.js"
import { TreeBranch, type TreeValue } from "../tree.js"
import { ValueCipher } from "../cipher.js"
import { emitEncrypted, openDocument, parseEncrypted, sealDocument } from "./document.js"
import type { ReadOptions } from "./options.js"
import { setAtPath, unsetAtPath, type PathComponent } from "./tree-path.js"
import { emitSopsEvent, timed, type SopsOperation } from "../events.js"

/** Options of the modifying operations. */
export interface ModifyOptions extends ReadOptions {
  readonly format: Format
  readonly now?: () => Date
  readonly fileName?: string
}

function bytesOf(input: Uint8Array | string): Uint8Array {
  return typeof input === "string" ? new TextEncoder().encode(input) : input
}

function storeOpts(o: ModifyOptions): { indent?: number } {
  return o.indent === undefined ? {} : { indent: o.indent }
}

function openOpts(o: ModifyOptions, reuseIvs: boolean) {
  return {
    keyServices: resolveKeyServices(o.keyServices),
    ...(o.decryptionOrder ? { decryptionOrder: o.decryptionOrder } : {}),
    ...(o.ignoreMac ? { ignoreMac: true } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onKeyAttempt ? { onKeyAttempt: o.onKeyAttempt } : {}),
    reuseIvs,
  }
}

function report<T>(op: SopsOperation, o: ModifyOptions, fn: () => Promise<T>): Promise<T> {
  return timed((outcome) => emitSopsEvent(op, o.fileName, o.format, outcome), fn)
}

/** Options of {@link rotate}. */
export interface RotateOptions extends ModifyOptions {
  /** Keys to add to the first key group. */
  readonly addKeys?: readonly MasterKey[]
  /** Keys to remove from every group (matched by type and id). */
  readonly removeKeys?: readonly MasterKey[]
}

/** Applies sops' `--add-*` (to group 0) and `--rm-*` (from every group). */
export function applyKeyChanges(groups: readonly KeyGroup[], add: readonly MasterKey[], remove: readonly MasterKey[]): KeyGroup[] {
  const rm = new Set(remove.map((k) => `${k.type}\u0000${keyId(k)}`))
  const out = groups.map((g) => g.filter((k) => !rm.has(`${k.type}\u0000${keyId(k)}`)))
  if (add.length > 0) {
    if (out.length === 0) out.push([])
    out[0]!.push(...add.map((k) => ({ ...k, enc: "" })))
  }
  return out
}

/**
 * Generates a new data key, re-encrypts every value with it and wraps it for every master
 * key (after adding/removing keys). Every master key needs a working key service.
 */
export async function rotate(input: Uint8Array | string, options: RotateOptions): Promise<Uint8Array> {
  return report("rotate", options, async () => {
    const doc = parseEncrypted(bytesOf(input), options.format, storeOpts(options))
    const opened = await openDocument(doc, openOpts(options, false))
    const newKey = generateDataKey()
    try {
      const groups = applyKeyChanges(opened.metadata.keyGroups, options.addKeys ?? [], options.removeKeys ?? [])
      const wrapped = await wrapDataKey(groups, newKey, opened.metadata.shamirThreshold, {
        keyServices: resolveKeyServices(options.keyServices),
        ...(options.signal ? { signal: options.signal } : {}),
      })
      const metadata = { ...opened.metadata, keyGroups: wrapped.keyGroups, shamirThreshold: wrapped.shamirThreshold }
      const sealed = sealDocument(opened.branches, metadata, newKey, {
        cipher: new ValueCipher(newKey),
        ...(options.now ? { now: options.now } : {}),
      })
      return emitEncrypted(sealed, options.format, storeOpts(options))
    } finally {
      newKey.fill(0)
      opened.dataKey.fill(0)
    }
  })
}

/** Options of {@link updateKeys}. */
export interface UpdateKeysOptions extends Omit<ModifyOptions, "ignoreMac"> {
  /** The key groups the file must have. */
  readonly keyGroups: readonly KeyGroup[]
  readonly shamirThreshold?: number
}

/** What {@link updateKeys} did. */
export interface UpdateKeysResult {
  readonly output: Uint8Array
  readonly changed: boolean
  /** Per group: key ids added and removed. */
  readonly diff: readonly { readonly added: readonly string[]; readonly removed: readonly string[] }[]
}

/**
 * sops `updatekeys`: replaces the key groups with `keyGroups`, re-wrapping the SAME data key;
 * values, MAC and `lastmodified` are untouched. Keys already present keep their `enc`
 * (wrapped again only when Shamir shares change); keys of a type with no installed key
 * service are kept as they are.
 */
export async function updateKeys(input: Uint8Array | string, options: UpdateKeysOptions): Promise<UpdateKeysResult> {
  return report("updatekeys", options, async () => {
    const doc = parseEncrypted(bytesOf(input), options.format, storeOpts(options))
    const old = doc.metadata.keyGroups
    const next = options.keyGroups
    const threshold = Math.min(doc.metadata.shamirThreshold || Infinity, options.shamirThreshold || Infinity, next.length)
    const diff = Array.from({ length: Math.max(old.length, next.length) }, (_, i) => {
      const a = new Set((old[i] ?? []).map((k) => `${k.type}\u0000${keyId(k)}`))
      const b = new Set((next[i] ?? []).map((k) => `${k.type}\u0000${keyId(k)}`))
      return {
        added: [...b].filter((x) => !a.has(x)).map((x) => x.replace("\u0000", " ")),
        removed: [...a].filter((x) => !b.has(x)).map((x) => x.replace("\u0000", " ")),
      }
    })
    const newThreshold = next.length > 1 ? (Number.isFinite(threshold) ? threshold : 0) : doc.metadata.shamirThreshold
    const changed = diff.some((d) => d.added.length > 0 || d.removed.length > 0) || newThreshold !== doc.metadata.shamirThreshold
    if (!changed) return { output: bytesOf(input), changed: false, diff }
    const services = resolveKeyServices(options.keyServices)
    const dataKey = await recoverDataKey(old, doc.metadata.shamirThreshold, {
      keyServices: services,
      decryptionOrder: options.decryptionOrder ?? DEFAULT_DECRYPTION_ORDER,
      ...(options.signal ? { signal: options.signal } : {}),
    })
    try {
      let groups: KeyGroup[]
      if (next.length === 1 && old.length === 1) {
        // Same data key, one group: existing keys keep their enc; only new keys are wrapped.
        const existing = new Map(old[0]!.map((k) => [`${k.type}\u0000${keyId(k)}`, k]))
        const keep: MasterKey[] = []
        const toWrap: MasterKey[] = []
        for (const k of next[0]!) {
          const e = existing.get(`${k.type}\u0000${keyId(k)}`)
          if (e && e.enc !== "") keep.push(e)
          else toWrap.push(k)
        }
        const wrapped = toWrap.length
          ? (await wrapDataKey([toWrap], dataKey, 0, { keyServices: services, ...(options.signal ? { signal: options.signal } : {}) })).keyGroups[0]!
          : []
        const byId = new Map([...keep, ...wrapped].map((k) => [`${k.type}\u0000${keyId(k)}`, k]))
        groups = [next[0]!.map((k) => byId.get(`${k.type}\u0000${keyId(k)}`)!)]
      } else {
        groups = (
          await wrapDataKey(next.map((g) => [...g]), dataKey, newThreshold, {
            keyServices: services,
            ...(options.signal ? { signal: options.signal } : {}),
          })
        ).keyGroups
      }
      const metadata = { ...doc.metadata, keyGroups: groups, shamirThreshold: next.length > 1 ? newThreshold : doc.metadata.shamirThreshold }
      return { output: emitEncrypted({ branches: doc.branches, metadata }, options.format, storeOpts(options)), changed: true, diff }
    } finally {
      dataKey.fill(0)
    }
  })
}

/**
 * Decrypts, applies `change` to the plaintext tree, and re-encrypts with the same data key.
 * Unchanged values keep their IV and ciphertext, so diffs stay minimal.
 */
export async function modifyValues(
  input: Uint8Array | string,
  options: ModifyOptions & { readonly operation?: SopsOperation },
  change: (root: TreeBranch, all: TreeBranch[]) => boolean,
): Promise<{ output: Uint8Array; changed: boolean }> {
  return report(options.operation ?? "set", options, async () => {
    const doc = parseEncrypted(bytesOf(input), options.format, storeOpts(options))
    const opened = await openDocument(doc, openOpts(options, true))
    try {
      if (opened.branches.length === 0) opened.branches.push(new TreeBranch())
      const changed = change(opened.branches[0]!, opened.branches)
      if (!changed) return { output: bytesOf(input), changed: false }
      const sealed = sealDocument(opened.branches, opened.metadata, opened.dataKey, {
        cipher: opened.cipher,
        ...(options.now ? { now: options.now } : {}),
      })
      return { output: emitEncrypted(sealed, options.format, storeOpts(options)), changed: true }
    } finally {
      opened.dataKey.fill(0)
    }
  })
}

/** Sets the value at `path` (sops `set`). */
export async function setValue(
  input: Uint8Array | string,
  path: readonly PathComponent[],
  value: TreeValue,
  options: ModifyOptions,
): Promise<{ output: Uint8Array; changed: boolean }> {
  return modifyValues(input, { ...options, operation: "set" }, (root) => setAtPath(root, path, value))
}

/** Removes the value at `path` (sops `unset`). @throws SopsError `ERR_PATH_NOT_FOUND` */
export async function unsetValue(
  input: Uint8Array | string,
  path: readonly PathComponent[],
  options: ModifyOptions,
): Promise<{ output: Uint8Array; changed: boolean }> {
  return modifyValues(input, { ...options, operation: "unset" }, (root) => {
    unsetAtPath(root, path)
    return true
  })
}

/** Checks that a value path is non-empty (helper for callers building paths). */
export function assertPath(path: readonly PathComponent[]): void {
  if (path.length === 0) throw new SopsError("ERR_PATH_INVALID", "empty path")
}
