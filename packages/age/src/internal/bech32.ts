/**
 * Bech32 (BIP 173, checksum constant 1) as age uses it for keys: no 90-character limit (a
 * post-quantum recipient is about 1,950 characters), all-lowercase or all-uppercase, 8-bit
 * data regrouped from 5-bit words with zero padding of at most 4 bits.
 * @module
 */

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
const VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < CHARSET.length; i++) VALUE[CHARSET.charCodeAt(i)] = i
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]

/** Why a string is not valid Bech32; the message never quotes the input (it may be a secret key). */
export class Bech32Error extends Error {
  /** @param reason - one of the fixed reasons below */
  constructor(readonly reason: "invalid character" | "mixed case" | "no separator" | "bad checksum" | "invalid padding") {
    super(`invalid Bech32: ${reason}`)
    this.name = "Bech32Error"
  }
}

function polymod(values: ArrayLike<number>, chk: number): number {
  for (let i = 0; i < values.length; i++) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ values[i]!
    for (let j = 0; j < 5; j++) if ((top >>> j) & 1) chk ^= GEN[j]!
  }
  return chk
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = []
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5)
  out.push(0)
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31)
  return out
}

/**
 * Decodes `s`; returns the human-readable prefix (lowercased) and the data bytes.
 * @throws Bech32Error
 */
export function bech32Decode(s: string): { prefix: string; bytes: Uint8Array } {
  let lower = false
  let upper = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 33 || c > 126) throw new Bech32Error("invalid character")
    if (c >= 97 && c <= 122) lower = true
    else if (c >= 65 && c <= 90) upper = true
  }
  if (lower && upper) throw new Bech32Error("mixed case")
  const t = s.toLowerCase()
  const sep = t.lastIndexOf("1")
  if (sep < 1 || sep + 7 > t.length) throw new Bech32Error("no separator")
  const prefix = t.slice(0, sep)
  const words = new Uint8Array(t.length - sep - 1)
  for (let i = 0; i < words.length; i++) {
    const c = t.charCodeAt(sep + 1 + i)
    const v = c < 128 ? VALUE[c]! : -1
    if (v < 0) throw new Bech32Error("invalid character")
    words[i] = v
  }
  if (polymod(words, polymod(hrpExpand(prefix), 1)) !== 1) throw new Bech32Error("bad checksum")
  const data = words.subarray(0, words.length - 6)
  const bytes = new Uint8Array(Math.floor((data.length * 5) / 8))
  let acc = 0
  let bits = 0
  let n = 0
  for (const v of data) {
    acc = (acc << 5) | v
    bits += 5
    if (bits >= 8) {
      bits -= 8
      bytes[n++] = (acc >> bits) & 0xff
    }
    acc &= (1 << bits) - 1
  }
  if (bits >= 5 || acc !== 0) throw new Bech32Error("invalid padding")
  return { prefix, bytes }
}

/** Encodes `bytes` under `prefix` (lowercase output; uppercase it for secret keys). */
export function bech32Encode(prefix: string, bytes: Uint8Array): string {
  const hrp = prefix.toLowerCase()
  const words: number[] = []
  let acc = 0
  let bits = 0
  for (const b of bytes) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 5) {
      bits -= 5
      words.push((acc >> bits) & 31)
    }
    acc &= (1 << bits) - 1
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31)
  const chk = polymod([...words, 0, 0, 0, 0, 0, 0], polymod(hrpExpand(hrp), 1)) ^ 1
  let out = `${hrp}1`
  for (const w of words) out += CHARSET[w]
  for (let i = 0; i < 6; i++) out += CHARSET[(chk >>> (5 * (5 - i))) & 31]
  return out
}
