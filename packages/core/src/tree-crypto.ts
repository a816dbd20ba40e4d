/**
 * Encrypting and decrypting a whole tree, and the MAC (spec sections 3 and 4): sops'
 * `walkBranch`/`walkSlice`/`walkValue` with its comment stack, `Tree.Encrypt` and
 * `Tree.Decrypt`.
 * @module
 */
import { createHash, type Hash } from "node:crypto"
import { plainBytesOf, ValueCipher, type Plain } from "./cipher.js"
import { SopsError } from "./errors.js"
import type { Selection } from "./selection.js"
import { Comment, NonStringKey, Timestamp, TreeBranch, type TreeBranches, type TreeValue } from "./tree.js"

/** SHA-256("sops"): prefixed to the MAC input when `mac_only_encrypted` is set. */
export const MAC_ONLY_ENCRYPTED_INIT: Uint8Array = new Uint8Array(
  Buffer.from("8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69", "hex"),
)

type Mode = "encrypt" | "decrypt"

const INT64_MAX = 2n ** 63n - 1n
const INT64_MIN = -(2n ** 63n)

/** Warnings a walk may produce (never containing values). */
export interface WalkReport {
  /** Paths of comments that looked encrypted but did not decrypt (kept as they were). */
  readonly undecryptableComments: string[]
}

class Walker {
  readonly #mode: Mode
  readonly #cipher: ValueCipher
  readonly #sel: Selection
  readonly #hash: Hash
  readonly #stack: string[][] | null
  readonly #commentCache = new Map<string, boolean>()
  readonly #inPlace: boolean
  readonly report: WalkReport = { undecryptableComments: [] }
  #doc = 0

  constructor(mode: Mode, cipher: ValueCipher, sel: Selection, inPlace = false) {
    this.#inPlace = inPlace
    this.#mode = mode
    this.#cipher = cipher
    this.#sel = sel
    this.#hash = createHash("sha512")
    if (sel.macOnlyEncrypted) this.#hash.update(MAC_ONLY_ENCRYPTED_INIT)
    this.#stack = sel.commentRule ? [] : null
  }

  run(branches: TreeBranches): string {
    for (let i = 0; i < branches.length; i++) {
      this.#doc = i
      this.walkBranch(branches[i]!, "", false)
    }
    return this.#hash.digest("hex").toUpperCase()
  }

  private where(aad: string): string {
    const p = aad === ":" ? "(top level)" : aad.slice(0, -1)
    return this.#doc > 0 ? `document ${this.#doc + 1}, ${p}` : p
  }

  private keyMatched(parentMatched: boolean, key: string): boolean {
    const rule = this.#sel.keyRule
    return parentMatched || (rule !== null && rule.match(key))
  }

  private commentMatches(c: string): boolean {
    let r = this.#commentCache.get(c)
    if (r === undefined) {
      r = this.#sel.commentRule!.match(c)
      this.#commentCache.set(c, r)
    }
    return r
  }

  private decide(matched: boolean, isComment: boolean): boolean {
    let enc = true
    const kr = this.#sel.keyRule
    if (kr) enc = matched ? kr.whenAny : kr.otherwise
    const cr = this.#sel.commentRule
    if (cr) {
      const stack = this.#stack!
      if (!cr.selects) {
        outer: for (const level of stack) {
          for (const c of level) {
            if (this.commentMatches(c)) {
              enc = false
              break outer
            }
          }
        }
      } else {
        enc = false
        const lastLevel = stack.length - 1
        outer2: for (let i = 0; i < stack.length; i++) {
          const level = stack[i]!
          for (let j = 0; j < level.length; j++) {
            // The comment being evaluated does not select itself.
            if (isComment && i === lastLevel && j === level.length - 1) continue
            if (this.commentMatches(level[j]!)) {
              enc = true
              break outer2
            }
          }
        }
      }
    }
    return enc
  }

  private walkBranch(branch: TreeBranch, prefix: string, matched: boolean): void {
    const stack = this.#stack
    const depth = stack ? stack.push([]) - 1 : -1
    const items = branch.items
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!
      const key = item.key
      if (key instanceof Comment) {
        if (stack) stack[depth]!.push(key.value)
        const out = this.leaf(key, prefix === "" ? ":" : prefix, matched)
        item.key = out instanceof Comment ? out : new Comment(out as string, key.inline)
        continue
      }
      if (key instanceof NonStringKey || typeof key !== "string") {
        throw new SopsError(
          "ERR_UNSUPPORTED_VALUE",
          `the tree contains a non-string key (${describeType(key instanceof NonStringKey ? key.value : key)}) at ${prefix === "" ? "the top level" : prefix.slice(0, -1)}; only string keys are supported`,
        )
      }
      const valueIsComment = item.value instanceof Comment
      if (valueIsComment && stack) stack[depth]!.push((item.value as Comment).value)
      item.value = this.walkValue(item.value, prefix + key + ":", this.keyMatched(matched, key))
      if (!valueIsComment && stack) stack[depth] = []
    }
    if (stack) stack.pop()
  }

  private walkSlice(list: TreeValue[], aad: string, matched: boolean): void {
    const stack = this.#stack
    const depth = stack ? stack.push([]) - 1 : -1
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!
      const isComment = v instanceof Comment
      if (isComment && stack) stack[depth]!.push(v.value)
      list[i] = this.walkValue(v, aad, matched)
      if (!isComment && stack) stack[depth] = []
    }
    if (stack) stack.pop()
  }

  private walkValue(v: TreeValue, aad: string, matched: boolean): TreeValue {
    if (v === null) return null
    if (typeof v === "bigint" && (v > INT64_MAX || v < INT64_MIN)) {
      // go-yaml decodes these as uint64, which sops cannot walk.
      throw new SopsError("ERR_UNSUPPORTED_VALUE", `the integer at ${this.where(aad)} does not fit in 64 bits (Go: unknown type uint64)`)
    }
    if (v instanceof TreeBranch) {
      this.walkBranch(v, aad, matched)
      return v
    }
    if (Array.isArray(v)) {
      this.walkSlice(v, aad, matched)
      return v
    }
    return this.leaf(v, aad, matched)
  }

  private leaf(v: Plain, aad: string, matched: boolean): TreeValue {
    const isComment = v instanceof Comment
    const enc = this.decide(matched, isComment)
    if (this.#mode === "encrypt") {
      const hashed = (!this.#sel.macOnlyEncrypted || enc) && !isComment
      if (!hashed && !enc) return v
      // Serialised once, for both the MAC and the cipher.
      const plain = plainBytesOf(v)
      if (hashed) this.#hash.update(plain.bytes)
      if (!enc) return v
      const out = this.#cipher.encryptPlainBytes(plain, aad)
      const cr = this.#sel.commentRule
      if (isComment && cr && !cr.selects && cr.regex?.test(out)) {
        throw new SopsError(
          "ERR_CONFLICTING_OPTIONS",
          `an encrypted comment at ${this.where(aad)} matches unencrypted_comment_regex; choose a regex that cannot match encrypted comments`,
        )
      }
      return out
    }
    let out: Plain = v
    let macBytes: Uint8Array | null = null
    if (enc) {
      const where = (): string => this.where(aad)
      if (v instanceof Comment) {
        try {
          out = this.#cipher.decrypt(v.value, aad, where)
        } catch {
          // Files written before sops 3 kept comments in clear: keep them as they are.
          this.report.undecryptableComments.push(this.where(aad))
          out = v
        }
      } else if (typeof v === "string") {
        const r = this.#cipher.decryptForMac(v, aad, where)
        out = r.value
        macBytes = r.macBytes
      } else if (v instanceof Uint8Array) {
        const r = this.#cipher.decryptBytesForMac(v, aad, where, this.#inPlace)
        out = r.value
        macBytes = r.macBytes
      } else {
        throw new SopsError(
          "ERR_VALUE_INVALID",
          `expected an encrypted value at ${this.where(aad)}, but found a ${describeType(v)} in clear; was the file edited by hand?`,
        )
      }
    }
    // sops <= 3.13.1 and >= 3.13.3: values that decrypt to comments are not hashed.
    if ((!this.#sel.macOnlyEncrypted || enc) && !(out instanceof Comment)) {
      this.#hash.update(macBytes ?? plainBytesOf(out).bytes)
    }
    return out
  }
}

function describeType(v: unknown): string {
  if (v === null) return "null"
  if (typeof v === "bigint") return "int"
  if (typeof v === "number") return "float"
  if (typeof v === "boolean") return "bool"
  if (v instanceof Timestamp) return "timestamp"
  if (v instanceof Uint8Array) return "byte string"
  return typeof v
}

/**
 * Encrypts every selected value of `branches` in place and returns the MAC (upper-case hex
 * SHA-512 over the plaintext values, before encryption).
 */
export function encryptTree(branches: TreeBranches, cipher: ValueCipher, selection: Selection): string {
  return new Walker("encrypt", cipher, selection).run(branches)
}

/** Options of {@link decryptTree}. */
export interface DecryptTreeOptions {
  /**
   * Byte-string values (`Uint8Array`) may be overwritten by their plaintext while decrypting:
   * the caller owns the bytes the tree was parsed from and will not read them again.
   */
  readonly inPlace?: boolean
}

/**
 * Decrypts every selected value of `branches` in place and returns the recomputed MAC, plus a
 * report of comments that could not be decrypted (legacy clear comments).
 */
export function decryptTree(
  branches: TreeBranches,
  cipher: ValueCipher,
  selection: Selection,
  options: DecryptTreeOptions = {},
): { mac: string; report: WalkReport } {
  const w = new Walker("decrypt", cipher, selection, options.inPlace === true)
  const mac = w.run(branches)
  return { mac, report: w.report }
}
