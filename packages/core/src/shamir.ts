/**
 * Shamir secret sharing over GF(2^8), byte-compatible with sops (forked from HashiCorp
 * Vault): polynomial 0x11B, one random polynomial per secret byte, and the share's
 * x-coordinate stored as its LAST byte (spec section 6.2).
 * @module
 */
import { randomBytes } from "node:crypto"
import { SopsError } from "./errors.js"

// log/exp tables with generator 3 (0x03 generates GF(2^8)* under 0x11B).
const EXP = new Uint8Array(512)
const LOG = new Uint8Array(256)
{
  let x = 1
  for (let i = 0; i < 255; i++) {
    EXP[i] = x
    LOG[x] = i
    // multiply by 3 = x ^ xtime(x)
    let t = x << 1
    if (t & 0x100) t ^= 0x11b
    x = t ^ x
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!
}

function mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0
  return EXP[LOG[a]! + LOG[b]!]!
}

function div(a: number, b: number): number {
  if (b === 0) throw new SopsError("ERR_KEY_GROUPS", "shamir: division by zero")
  if (a === 0) return 0
  return EXP[LOG[a]! + 255 - LOG[b]!]!
}

/**
 * Splits `secret` into `parts` shares, any `threshold` of which recover it.
 * Share i (0-based) has x = i + 1 as its last byte.
 */
export function shamirSplit(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (parts < threshold) throw new SopsError("ERR_KEY_GROUPS", "shamir: parts cannot be less than threshold")
  if (parts > 255) throw new SopsError("ERR_KEY_GROUPS", "shamir: parts cannot exceed 255")
  if (threshold < 2) throw new SopsError("ERR_KEY_GROUPS", "shamir: threshold must be at least 2")
  if (threshold > 255) throw new SopsError("ERR_KEY_GROUPS", "shamir: threshold cannot exceed 255")
  if (secret.length === 0) throw new SopsError("ERR_KEY_GROUPS", "shamir: cannot split an empty secret")
  const out = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1)
    s[secret.length] = i + 1
    return s
  })
  const coeffs = new Uint8Array(threshold)
  for (let b = 0; b < secret.length; b++) {
    coeffs[0] = secret[b]!
    coeffs.set(randomBytes(threshold - 1), 1)
    for (let i = 0; i < parts; i++) {
      const x = i + 1
      // Horner's rule from the highest coefficient.
      let y = 0
      for (let k = threshold - 1; k >= 0; k--) y = mul(y, x) ^ coeffs[k]!
      out[i]![b] = y
    }
  }
  coeffs.fill(0)
  return out
}

/** Recombines shares (at least 2, equal length, distinct x) by Lagrange interpolation at 0. */
export function shamirCombine(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new SopsError("ERR_KEY_GROUPS", "shamir: less than two parts cannot be used to reconstruct the secret")
  const len = shares[0]!.length
  if (len < 2) throw new SopsError("ERR_KEY_GROUPS", "shamir: parts must be at least two bytes")
  const xs = new Uint8Array(shares.length)
  const seen = new Set<number>()
  for (let i = 0; i < shares.length; i++) {
    const s = shares[i]!
    if (s.length !== len) throw new SopsError("ERR_KEY_GROUPS", "shamir: all parts must be the same length")
    const x = s[len - 1]!
    if (seen.has(x)) throw new SopsError("ERR_KEY_GROUPS", "shamir: duplicate part detected")
    seen.add(x)
    xs[i] = x
  }
  const secret = new Uint8Array(len - 1)
  for (let b = 0; b < len - 1; b++) {
    let acc = 0
    for (let i = 0; i < shares.length; i++) {
      let basis = 1
      for (let j = 0; j < shares.length; j++) {
        if (i === j) continue
        // l_i(0) = prod x_j / (x_j - x_i); subtraction is XOR in GF(2^8).
        basis = mul(basis, div(xs[j]!, xs[j]! ^ xs[i]!))
      }
      acc ^= mul(shares[i]![b]!, basis)
    }
    secret[b] = acc
  }
  return secret
}
