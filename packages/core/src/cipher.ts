/**
 * The per-value cipher: AES-256-GCM with a 32-byte IV, the `ENC[AES256_GCM,...]` text format
 * and sops' type tags (spec section 2).
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from "node:crypto"
import { decryptLargeValue, LARGE_VALUE_BYTES, parseLargeValue } from "./cipher-large.js"
import { base64DecodeStrict, base64Encode, bytesToStringValue, stringBytes, utf8 } from "./bytes.js"
import { SopsError } from "./errors.js"
import { formatFloatF } from "./gofmt.js"
import { parseRFC3339 } from "./time.js"
import { Comment, Timestamp, type Scalar, type TypeTag } from "./tree.js"

/** sops uses 256-bit GCM nonces (GHASH-derived J0), not the usual 96-bit ones. */
export const IV_LENGTH = 32
const TAG_LENGTH = 16

/** A value the cipher can encrypt. */
export type Plain = Exclude<Scalar, null> | Comment

// Go: ^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]  (`.` excludes only \n)
const ENC_RE = /^ENC\[AES256_GCM,data:([^\n]+),iv:([^\n]+),tag:([^\n]+),type:([^\n]+)\]/

/** Length of `ENC[AES256_GCM,data:`. */
const DATA_START = 20

// 1 for the characters of standard base64 (without `=`), by char code.
const B64_CHAR = new Uint8Array(128)
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") B64_CHAR[c.charCodeAt(0)] = 1

/**
 * End of a canonical base64 part starting at `i` (at least 4 characters, a multiple of 4
 * long, at most two `=` at its end), or -1.
 */
function base64PartEnd(s: string, i: number): number {
  const n = s.length
  let k = i
  for (; k < n; k++) {
    const c = s.charCodeAt(k)
    if (c >= 128 || B64_CHAR[c] !== 1) break
  }
  if (k === i) return -1
  if (s.charCodeAt(k) === 0x3d) k += s.charCodeAt(k + 1) === 0x3d ? 2 : 1
  return (k - i) % 4 === 0 ? k : -1
}

/**
 * Where a value sits, for error messages: a string, or a function computing it (so the hot
 * path does not build a path string for every value that decrypts fine).
 */
export type Where = string | (() => string)

function at(where: Where): string {
  return typeof where === "string" ? where : where()
}

/** Whether a string looks like a sops-encrypted value. */
export function isEncryptedValue(s: string): boolean {
  return s.startsWith("ENC[AES256_GCM,") && ENC_RE.test(s)
}

/** The parts of an `ENC[...]` value. */
export interface EncryptedParts {
  readonly data: Uint8Array
  readonly iv: Uint8Array
  readonly tag: Uint8Array
  readonly type: string
}

/**
 * The parts of a value in the shape sops itself writes (each part canonical base64, a
 * lower-case type, nothing after the closing bracket), or null for anything else, which then
 * goes through {@link parseEncryptedValue} and gets its precise error. A value of this shape
 * has exactly one `,iv:`, `,tag:` and `,type:`, so it splits as `ENC_RE` would split it, and
 * its parts decode as `base64DecodeStrict` would decode them; a hand-written scan is about
 * twice as fast as one regex here, and leaves the split points at hand.
 */
function parseCanonical(s: string): EncryptedParts | null {
  if (!s.startsWith("ENC[AES256_GCM,data:")) return null
  const dataEnd = base64PartEnd(s, DATA_START)
  if (dataEnd < 0 || !s.startsWith(",iv:", dataEnd)) return null
  const ivEnd = base64PartEnd(s, dataEnd + 4)
  if (ivEnd < 0 || !s.startsWith(",tag:", ivEnd)) return null
  const tagEnd = base64PartEnd(s, ivEnd + 5)
  if (tagEnd < 0 || !s.startsWith(",type:", tagEnd)) return null
  const last = s.length - 1
  if (last <= tagEnd + 6 || s.charCodeAt(last) !== 0x5d) return null
  for (let k = tagEnd + 6; k < last; k++) {
    const c = s.charCodeAt(k)
    if (c < 0x61 || c > 0x7a) return null
  }
  const tag = Buffer.from(s.slice(ivEnd + 5, tagEnd), "base64")
  if (tag.length !== TAG_LENGTH) return null
  return {
    data: Buffer.from(s.slice(DATA_START, dataEnd), "base64"),
    iv: Buffer.from(s.slice(dataEnd + 4, ivEnd), "base64"),
    tag,
    type: s.slice(tagEnd + 6, last),
  }
}

/**
 * Parses an `ENC[...]` string. Throws `ERR_VALUE_INVALID` (naming `where`, never the value)
 * when it is malformed.
 */
export function parseEncryptedValue(s: string, where: Where): EncryptedParts {
  const m = ENC_RE.exec(s)
  if (!m) {
    throw new SopsError("ERR_VALUE_INVALID", `value at ${at(where)} is not in sops' ENC[AES256_GCM,...] format`)
  }
  const data = base64DecodeStrict(m[1]!)
  const iv = base64DecodeStrict(m[2]!)
  const tag = base64DecodeStrict(m[3]!)
  if (data === null || iv === null || tag === null) {
    throw new SopsError("ERR_VALUE_INVALID", `value at ${at(where)} has invalid base64 in its data, iv or tag`)
  }
  if (iv.length === 0) {
    throw new SopsError("ERR_VALUE_INVALID", `value at ${at(where)} has an empty IV`)
  }
  if (tag.length !== TAG_LENGTH) {
    // Node would otherwise accept truncated tags; sops always writes 16 bytes.
    throw new SopsError("ERR_VALUE_INVALID", `value at ${at(where)} has a ${tag.length}-byte tag, expected 16`)
  }
  return { data, iv, tag, type: m[4]! }
}

function cipherName(key: KeyObject): "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm" {
  const n = key.symmetricKeySize
  if (n === 32) return "aes-256-gcm"
  if (n === 16) return "aes-128-gcm"
  if (n === 24) return "aes-192-gcm"
  throw new SopsError("ERR_DECRYPT_FAILED", `the data key has ${String(n)} bytes; AES needs 16, 24 or 32`)
}

/** Serialises a value as sops does before encryption (and for the MAC). */
export function plainBytesOf(v: Plain): { bytes: Uint8Array; type: TypeTag } {
  if (typeof v === "string") return { bytes: utf8(v), type: "str" }
  if (v instanceof Uint8Array) return { bytes: v, type: "str" }
  if (typeof v === "bigint") return { bytes: utf8(v.toString()), type: "int" }
  if (typeof v === "number") return { bytes: utf8(formatFloatF(v)), type: "float" }
  if (typeof v === "boolean") return { bytes: utf8(v ? "True" : "False"), type: "bool" }
  if (v instanceof Timestamp) return { bytes: utf8(v.toRFC3339Nano()), type: "time" }
  if (v instanceof Comment) return { bytes: utf8(v.value), type: "comment" }
  throw new SopsError("ERR_UNSUPPORTED_VALUE", `value to encrypt has unsupported type ${typeof v}`)
}

function isEmpty(v: Plain): boolean {
  if (typeof v === "string") return v === ""
  if (v instanceof Uint8Array) return v.length === 0
  if (v instanceof Comment) return v.value === ""
  return false
}

const EMPTY = new Uint8Array(0)
const INT_RE = /^[+-]?\d+$/
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** Go `strconv.ParseFloat(s, 64)` for the forms sops and Python sops wrote. */
export function parseGoFloat(s: string): number | null {
  const t = s.replace(/^\+/, "")
  const lower = t.toLowerCase()
  if (lower === "inf" || lower === "infinity") return Infinity
  if (lower === "-inf" || lower === "-infinity") return -Infinity
  if (lower === "nan") return NaN
  if (/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t)
  if (/^-?0[xX]/.test(t)) {
    const n = parseHexFloat(t)
    if (n !== null) return n
  }
  return null
}

function parseHexFloat(s: string): number | null {
  const m = /^(-?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(s)
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null
  const int = m[2] ? parseInt(m[2], 16) : 0
  const fracDigits = m[3] ?? ""
  let frac = 0
  for (let i = 0; i < fracDigits.length; i++) frac += parseInt(fracDigits[i]!, 16) / 16 ** (i + 1)
  const v = (int + frac) * 2 ** Number(m[4] ?? 0)
  return m[1] === "-" ? -v : v
}

function convertDecrypted(bytes: Uint8Array, type: string, where: Where): Plain {
  const text = (): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
  const bad = (): never => {
    throw new SopsError("ERR_DECRYPT_FAILED", `value at ${at(where)} does not parse as its type "${type}"`)
  }
  switch (type) {
    case "str":
      return bytesToStringValue(bytes)
    case "int": {
      const s = text()
      if (!INT_RE.test(s)) return bad()
      const n = BigInt(s)
      if (n < INT64_MIN || n > INT64_MAX) return bad()
      return n
    }
    case "float": {
      const n = parseGoFloat(text())
      return n === null ? bad() : n
    }
    case "bool": {
      const s = text()
      if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true
      if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false
      return bad()
    }
    case "time": {
      const t = parseRFC3339(text())
      return t === null ? bad() : t
    }
    case "comment":
      return new Comment(text())
    case "bytes":
      // Legacy Python sops; Go 3.13.2 panics here. Raw bytes are the faithful reading.
      return new Uint8Array(bytes)
    default:
      throw new SopsError("ERR_DECRYPT_FAILED", `value at ${at(where)} has unknown type tag "${type}"`)
  }
}

/** Options of a {@link ValueCipher}. */
export interface ValueCipherOptions {
  /**
   * Remember the IV of every decrypted value and reuse it when the same value is encrypted
   * again under the same path (sops' "stash"): unchanged values keep their exact ciphertext
   * across edit/set/unset, so diffs stay minimal.
   */
  readonly reuseIvs?: boolean
}

/**
 * Encrypts and decrypts tree values with one data key.
 * The data key is imported once as a non-exportable-by-API `KeyObject`.
 */
export class ValueCipher {
  readonly #key: KeyObject
  readonly #algo: "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm"
  readonly #stash: Map<string, Uint8Array> | null

  /** @param dataKey - the 32-byte data key (16/24 accepted, as Go does) */
  constructor(dataKey: Uint8Array, options: ValueCipherOptions = {}) {
    this.#key = createSecretKey(dataKey)
    this.#algo = cipherName(this.#key)
    this.#stash = options.reuseIvs ? new Map() : null
  }

  /**
   * Encrypts one value with AAD `aad`. Empty strings (and empty comments) are returned as ""
   * unencrypted, as sops does.
   */
  encrypt(value: Plain, aad: string): string {
    if (isEmpty(value)) return ""
    const { bytes, type } = plainBytesOf(value)
    let iv: Uint8Array | undefined
    if (this.#stash !== null) iv = this.#stash.get(stashKey(type, bytes, aad))
    iv ??= randomBytes(IV_LENGTH)
    const c = createCipheriv(this.#algo, this.#key, iv, { authTagLength: TAG_LENGTH })
    c.setAAD(utf8(aad))
    const data = c.update(bytes)
    c.final()
    const tag = c.getAuthTag()
    return `ENC[AES256_GCM,data:${base64Encode(data)},iv:${base64Encode(iv)},tag:${base64Encode(tag)},type:${type}]`
  }

  /**
   * Decrypts one `ENC[...]` value with AAD `aad`. "" decrypts to "". `where` names the value
   * in error messages (a path, never the value).
   */
  decrypt(enc: string, aad: string, where: Where = aad): Plain {
    return this.decryptForMac(enc, aad, where).value
  }

  /**
   * Decrypts one value and also returns the bytes sops' MAC hashes for it (`ToBytes` of the
   * typed value): for strings these are the decrypted bytes themselves, so the hot path does
   * not encode every string a second time.
   */
  decryptForMac(enc: string, aad: string, where: Where = aad): { value: Plain; macBytes: Uint8Array } {
    if (enc === "") return { value: "", macBytes: EMPTY }
    const parts = parseCanonical(enc) ?? parseEncryptedValue(enc, where)
    return this.#typed(this.decryptParts(parts, aad, where), parts.type, parts.iv, aad, where)
  }

  /**
   * {@link decryptForMac} for a value held as bytes: the text of `ENC[...]` (Go strings are
   * bytes). A large value is decoded and decrypted from the bytes in chunks, never becoming a
   * string; with `inPlace` its plaintext is written over `enc` (the caller owns those bytes
   * and gives up their content).
   */
  decryptBytesForMac(enc: Uint8Array, aad: string, where: Where = aad, inPlace = false): { value: Plain; macBytes: Uint8Array } {
    const parts = enc.length >= LARGE_VALUE_BYTES ? parseLargeValue(enc, TAG_LENGTH) : null
    if (parts === null) return this.decryptForMac(Buffer.from(enc.buffer, enc.byteOffset, enc.byteLength).toString("latin1"), aad, where)
    const cipher = { algo: this.#algo, key: this.#key, aad, tagLength: TAG_LENGTH }
    const bytes = decryptLargeValue(enc, parts, cipher, () => at(where), inPlace)
    return this.#typed(bytes, parts.type, parts.iv, aad, where)
  }

  /** The typed value of decrypted bytes, its MAC bytes, and the IV remembered for re-encryption. */
  #typed(bytes: Uint8Array, type: string, iv: Uint8Array, aad: string, where: Where): { value: Plain; macBytes: Uint8Array } {
    const value = convertDecrypted(bytes, type, where)
    const macBytes = type === "str" || type === "bytes" || type === "comment" ? bytes : plainBytesOf(value).bytes
    if (this.#stash !== null && type !== "bytes") {
      this.#stash.set(stashKey(type === "str" || type === "comment" ? type : plainBytesOf(value).type, macBytes, aad), iv)
    }
    return { value, macBytes }
  }

  /** Decrypts and authenticates the raw bytes of a parsed value. */
  decryptParts(parts: EncryptedParts, aad: string, where: Where): Uint8Array {
    try {
      const d = createDecipheriv(this.#algo, this.#key, parts.iv, { authTagLength: TAG_LENGTH })
      d.setAAD(Buffer.from(aad, "utf8")) // pooled: cheaper than a TextEncoder array per value
      d.setAuthTag(parts.tag)
      // GCM's final() yields no bytes; it only checks the tag. Keep update()'s buffer as is.
      const out = d.update(parts.data)
      d.final()
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
    } catch (cause) {
      throw new SopsError(
        "ERR_DECRYPT_FAILED",
        `could not decrypt the value at ${at(where)}: authentication failed (wrong data key, or the value or its key path was changed)`,
        { cause },
      )
    }
  }
}

function stashKey(type: string, bytes: Uint8Array, aad: string): string {
  return `${type}\u0000${aad}\u0000${base64Encode(bytes)}`
}

/** Encrypts a string with AES-GCM and a fresh IV, as sops does for the MAC. */
export function encryptString(dataKey: Uint8Array, plaintext: string, aad: string): string {
  return new ValueCipher(dataKey).encrypt(plaintext, aad)
}

/** Re-export so callers of the value codec need one import. */
export { stringBytes }
