/**
 * "Byte strings" for the INI parser and writer: JS strings in which each char is one byte
 * (0..255), so the go-ini algorithms, which work on Go byte strings, can be reproduced index
 * for index and values that are not UTF-8 survive untouched.
 * @module
 */
import { Buffer } from "node:buffer"
import { bytesToStringValue, stringBytes } from "../../bytes.js"

/** Bytes to a byte string (ISO-8859-1 decoding, which maps each byte to one char). */
export function toByteString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")
}

/** A byte string back to bytes. */
export function fromByteString(s: string): Uint8Array {
  const b = Buffer.from(s, "latin1")
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
}

const NON_ASCII = /[\u0080-\u00ff]/

/** A Go string value from a byte string: a JS string when UTF-8, else raw bytes. */
export function byteStringToValue(s: string): string | Uint8Array {
  if (!NON_ASCII.test(s)) return s
  return bytesToStringValue(fromByteString(s))
}

/** The byte string of a Go string value (UTF-8 encoding a JS string). */
export function valueToByteString(v: string | Uint8Array): string {
  if (typeof v === "string" && !/[^\u0000-\u007f]/.test(v)) return v
  return toByteString(stringBytes(v))
}

/**
 * Length in bytes of the Unicode white-space rune (Go `unicode.IsSpace`) that starts at `i`,
 * or 0. Besides ASCII `\t\n\v\f\r `, Go counts U+0085, U+00A0, U+1680, U+2000..U+200A,
 * U+2028, U+2029, U+202F, U+205F and U+3000, here in their UTF-8 forms.
 */
function spaceAt(s: string, i: number): number {
  const c = s.charCodeAt(i)
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d) ? 1 : 0
  const b1 = s.charCodeAt(i + 1)
  if (c === 0xc2) return b1 === 0x85 || b1 === 0xa0 ? 2 : 0
  const b2 = s.charCodeAt(i + 2)
  if (c === 0xe1) return b1 === 0x9a && b2 === 0x80 ? 3 : 0
  if (c === 0xe2) {
    if (b1 === 0x80 && ((b2 >= 0x80 && b2 <= 0x8a) || b2 === 0xa8 || b2 === 0xa9 || b2 === 0xaf)) return 3
    return b1 === 0x81 && b2 === 0x9f ? 3 : 0
  }
  if (c === 0xe3) return b1 === 0x80 && b2 === 0x80 ? 3 : 0
  return 0
}

/** Length of the white-space rune that ends just before `end`, or 0. */
function spaceBefore(s: string, end: number): number {
  if (end >= 1 && s.charCodeAt(end - 1) < 0x80) return spaceAt(s, end - 1)
  // A multi-byte space starts with a lead byte, so matching it as a suffix is exact.
  if (end >= 2 && spaceAt(s, end - 2) === 2) return 2
  if (end >= 3 && spaceAt(s, end - 3) === 3) return 3
  return 0
}

/** Go `strings.TrimLeftFunc(s, unicode.IsSpace)` on a byte string. */
export function trimLeftSpace(s: string): string {
  let i = 0
  for (let n = spaceAt(s, i); n > 0 && i < s.length; n = spaceAt(s, i)) i += n
  return i === 0 ? s : s.slice(i)
}

/** Go `strings.TrimSpace` on a byte string. */
export function trimSpace(s: string): string {
  const left = trimLeftSpace(s)
  let end = left.length
  for (let n = spaceBefore(left, end); n > 0; n = spaceBefore(left, end)) end -= n
  return end === left.length ? left : left.slice(0, end)
}

const anyPatterns = new Map<string, RegExp>()

/** Go `strings.IndexAny(s, chars)` for ASCII `chars`, searching from `from`. */
export function indexAny(s: string, chars: string, from = 0): number {
  let re = anyPatterns.get(chars)
  if (re === undefined) {
    re = new RegExp("[" + chars.replace(/[\\\]^-]/g, "\\$&") + "]", "g")
    anyPatterns.set(chars, re)
  }
  re.lastIndex = from
  const m = re.exec(s)
  return m === null ? -1 : m.index
}
