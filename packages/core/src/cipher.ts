/**
 * The per-value cipher: AES-256-GCM with a 32-byte IV, the `ENC[AES256_GCM,...]` text format
 * and sops' type tags (spec section 2).
 * @module
 */
import { isUtf8 } from "node:buffer"
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from "node:crypto"
import { decryptLargeValue, LARGE_VALUE_BYTES, parseLargeValue } from "./cipher-large.js"
import { base64DecodeStrict, base64Encode, decodeBase64RunInPlace, stringBytes } from "./bytes.js"
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

const PREFIX = "ENC[AES256_GCM,data:"

/** Length of {@link PREFIX}. */
const DATA_START = 20

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
 * has exactly one `,iv:`, `,tag:` and `,type:` (base64 has no commas), so it splits as
 * `ENC_RE` would split it, and its parts decode as `base64DecodeStrict` would decode them.
 *
 * The text is copied to bytes once and each part is checked and decoded in the same pass, in
 * place, so data, iv and tag are views of that one buffer: about twice as fast as scanning
 * the string and decoding three slices with `Buffer.from`. The copy is UTF-8, so a non-ASCII
 * character becomes bytes of 0x80 and up, which no position of the shape accepts, and every
 * byte is checked (prefix, three parts, three separators, type, bracket).
 *
 * @internal exported for tests
 */
export function parseCanonical(s: string): EncryptedParts | null {
  if (!s.startsWith(PREFIX)) return null
  const b = Buffer.from(s, "utf8")
  const nData = decodeBase64RunInPlace(b, DATA_START, 0)
  if (nData < 0) return null
  let i = DATA_START + runLength(nData)
  if (!hasAscii(b, i, ",iv:")) return null
  const nIv = decodeBase64RunInPlace(b, i + 4, nData)
  if (nIv < 0) return null
  i += 4 + runLength(nIv)
  if (!hasAscii(b, i, ",tag:")) return null
  const ivEnd = nData + nIv
  const nTag = decodeBase64RunInPlace(b, i + 5, ivEnd)
  if (nTag !== TAG_LENGTH) return null
  i += 5 + runLength(nTag)
  if (!hasAscii(b, i, ",type:")) return null
  const type = typeName(b, i + 6)
  if (type === null) return null
  // Plain views: cheaper to make than Buffer.subarray (no species lookup), and all crypto needs.
  const { buffer, byteOffset } = b
  return {
    data: new Uint8Array(buffer, byteOffset, nData),
    iv: new Uint8Array(buffer, byteOffset + nData, nIv),
    tag: new Uint8Array(buffer, byteOffset + ivEnd, TAG_LENGTH),
    type,
  }
}

/** Characters of a base64 run that decoded to `n` bytes. */
function runLength(n: number): number {
  return Math.ceil(n / 3) * 4
}

/** Whether `b` holds the ASCII text `lit` at `at`. */
function hasAscii(b: Uint8Array, at: number, lit: string): boolean {
  if (at + lit.length > b.length) return false
  for (let k = 0; k < lit.length; k++) if (b[at + k] !== lit.charCodeAt(k)) return false
  return true
}

/**
 * The type of `...,type:<type>]`, from `at` to the closing bracket (the last byte): one or
 * more lower-case ASCII letters, or null. `str`, the common case, is not copied out.
 */
function typeName(b: Buffer, at: number): string | null {
  const last = b.length - 1
  if (last <= at || b[last] !== 0x5d) return null
  for (let k = at; k < last; k++) {
    const c = b[k]!
    if (c < 0x61 || c > 0x7a) return null
  }
  if (last - at === 3 && b[at] === 0x73 && b[at + 1] === 0x74 && b[at + 2] === 0x72) return "str"
  return b.toString("latin1", at, last)
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

/** A value serialised as sops does before encryption (and for the MAC), with its type tag. */
export interface PlainBytes {
  readonly bytes: Uint8Array
  readonly type: TypeTag
}

/**
 * UTF-8 of a short-lived string (a value being encrypted or hashed, an AAD): Buffer's
 * encoder takes small strings from a shared pool, where a `TextEncoder` array costs an
 * ArrayBuffer of its own per value.
 */
function transientUtf8(s: string): Buffer {
  return Buffer.from(s, "utf8")
}

/** Serialises a value as sops does before encryption (and for the MAC). */
export function plainBytesOf(v: Plain): PlainBytes {
  if (typeof v === "string") return { bytes: transientUtf8(v), type: "str" }
  if (v instanceof Uint8Array) return { bytes: v, type: "str" }
  if (typeof v === "bigint") return { bytes: transientUtf8(v.toString()), type: "int" }
  if (typeof v === "number") return { bytes: transientUtf8(formatFloatF(v)), type: "float" }
  if (typeof v === "boolean") return { bytes: transientUtf8(v ? "True" : "False"), type: "bool" }
  if (v instanceof Timestamp) return { bytes: transientUtf8(v.toRFC3339Nano()), type: "time" }
  if (v instanceof Comment) return { bytes: transientUtf8(v.value), type: "comment" }
  throw new SopsError("ERR_UNSUPPORTED_VALUE", `value to encrypt has unsupported type ${typeof v}`)
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

const TRUE_TEXTS: readonly string[] = ["1", "t", "T", "TRUE", "true", "True"]
const FALSE_TEXTS: readonly string[] = ["0", "f", "F", "FALSE", "false", "False"]

/** A plain `Uint8Array` over the same memory, for bytes handed to callers as a value. */
function plainView(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

function notOfType(type: string, where: Where): never {
  throw new SopsError("ERR_DECRYPT_FAILED", `value at ${at(where)} does not parse as its type "${type}"`)
}

/** The typed value of decrypted bytes (sops' `decryptValue` type switch). */
function convertDecrypted(bytes: Buffer, type: string, where: Where): Plain {
  switch (type) {
    case "str":
      // A Go string value: text when valid UTF-8, else the bytes (as `bytesToStringValue`).
      return isUtf8(bytes) ? bytes.toString("utf8") : plainView(bytes)
    case "int": {
      const s = bytes.toString("utf8")
      if (!INT_RE.test(s)) return notOfType(type, where)
      const n = BigInt(s)
      if (n < INT64_MIN || n > INT64_MAX) return notOfType(type, where)
      return n
    }
    case "float": {
      const n = parseGoFloat(bytes.toString("utf8"))
      return n === null ? notOfType(type, where) : n
    }
    case "bool": {
      const s = bytes.toString("utf8")
      if (TRUE_TEXTS.includes(s)) return true
      if (FALSE_TEXTS.includes(s)) return false
      return notOfType(type, where)
    }
    case "time": {
      const t = parseRFC3339(bytes.toString("utf8"))
      return t === null ? notOfType(type, where) : t
    }
    case "comment":
      return new Comment(bytes.toString("utf8"))
    case "bytes":
      // Legacy Python sops; Go 3.13.2 panics here. Raw bytes are the faithful reading.
      return new Uint8Array(bytes)
    default:
      throw new SopsError("ERR_DECRYPT_FAILED", `value at ${at(where)} has unknown type tag "${type}"`)
  }
}

/**
 * Fresh IVs are cut from one CSPRNG draw per {@link IV_BATCH} values: a `randomBytes` call
 * costs microseconds whatever its size, which made one call per value most of the time of
 * encrypting a file. Each batch is a new buffer and each IV is handed out once, so IVs stay
 * independent, unpredictable and never reused.
 */
const IV_BATCH = 128
let ivBatch: Buffer = Buffer.alloc(0)
let ivNext = 0

function freshIv(): Buffer {
  if (ivNext + IV_LENGTH > ivBatch.length) {
    ivBatch = randomBytes(IV_LENGTH * IV_BATCH)
    ivNext = 0
  }
  const iv = ivBatch.subarray(ivNext, ivNext + IV_LENGTH)
  ivNext += IV_LENGTH
  return iv
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
    return this.encryptPlainBytes(plainBytesOf(value), aad)
  }

  /**
   * {@link encrypt} for a value already serialised by `plainBytesOf` (the tree walk has those
   * bytes at hand for the MAC). Empty bytes, which only empty strings, byte strings and
   * comments serialise to, are returned as "" unencrypted, as {@link encrypt} does.
   */
  encryptPlainBytes(plain: PlainBytes, aad: string): string {
    const { bytes, type } = plain
    if (bytes.length === 0) return ""
    const iv = (this.#stash === null ? undefined : this.#stash.get(stashKey(type, bytes, aad))) ?? freshIv()
    const c = createCipheriv(this.#algo, this.#key, iv, { authTagLength: TAG_LENGTH })
    c.setAAD(transientUtf8(aad))
    const data = c.update(bytes)
    c.final()
    const tag = c.getAuthTag()
    return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${base64Encode(iv)},tag:${tag.toString("base64")},type:${type}]`
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
    return this.#typed(this.#decipher(parts, aad, where), parts.type, parts.iv, aad, where)
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
    return this.#typed(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), parts.type, parts.iv, aad, where)
  }

  /**
   * The typed value of decrypted bytes, its MAC bytes, and the IV remembered for
   * re-encryption. A decrypted value of type int, float, bool or time is of that type, so
   * `plainBytesOf(value).type === type` and the stash key can use `type` as it is.
   */
  #typed(bytes: Buffer, type: string, iv: Uint8Array, aad: string, where: Where): { value: Plain; macBytes: Uint8Array } {
    const value = convertDecrypted(bytes, type, where)
    const macBytes = type === "str" || type === "bytes" || type === "comment" ? bytes : plainBytesOf(value).bytes
    if (this.#stash !== null && type !== "bytes") this.#stash.set(stashKey(type, macBytes, aad), iv)
    return { value, macBytes }
  }

  /** Decrypts and authenticates the raw bytes of a parsed value. */
  decryptParts(parts: EncryptedParts, aad: string, where: Where): Uint8Array {
    return plainView(this.#decipher(parts, aad, where))
  }

  /** {@link decryptParts}, keeping the Buffer that `update()` returns. */
  #decipher(parts: EncryptedParts, aad: string, where: Where): Buffer {
    try {
      const d = createDecipheriv(this.#algo, this.#key, parts.iv, { authTagLength: TAG_LENGTH })
      d.setAAD(transientUtf8(aad))
      d.setAuthTag(parts.tag)
      // GCM's final() yields no bytes; it only checks the tag. Keep update()'s buffer as is.
      const out = d.update(parts.data)
      d.final()
      return out
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
