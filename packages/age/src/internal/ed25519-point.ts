/**
 * Validation of an encoded Ed25519 public key (RFC 8032 §5.1.3 decoding) with BigInt, so
 * that an `ssh-ed25519` recipient can be checked when it is parsed without loading a curve
 * library: 32 bytes, y below the field prime, and x² = (y² − 1) / (d·y² + 1) has a root.
 * @module
 */

const P = 2n ** 255n - 19n
const D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n
const SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n

function mod(a: bigint): bigint {
  const r = a % P
  return r < 0n ? r + P : r
}

function pow(base: bigint, exp: bigint): bigint {
  let result = 1n
  let b = mod(base)
  let e = exp
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P
    b = (b * b) % P
    e >>= 1n
  }
  return result
}

/** Whether `key` is the canonical encoding of a point on the Ed25519 curve. */
export function isEd25519Point(key: Uint8Array): boolean {
  if (key.length !== 32) return false
  let y = 0n
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? key[i]! & 0x7f : key[i]!)
  const sign = key[31]! >> 7
  if (y >= P) return false
  const y2 = (y * y) % P
  const u = mod(y2 - 1n)
  const v = mod(D * y2 + 1n)
  const v3 = (v * v * v) % P
  const v7 = (v3 * v3 * v) % P
  let x = (u * v3 * pow(u * v7, (P - 5n) / 8n)) % P
  const vx2 = (v * x * x) % P
  if (vx2 === u) {
    // x is a root
  } else if (vx2 === mod(-u)) {
    x = (x * SQRT_M1) % P
  } else {
    return false
  }
  return !(x === 0n && sign === 1)
}
