/**
 * Small random values (file keys, payload nonces) cut from one CSPRNG draw.
 *
 * Each `randomBytes` call crosses into OpenSSL with its own buffer and bookkeeping, which
 * costs more than the 16 bytes it returns; a bulk re-key needs two such values per file.
 * Bytes are handed out once, in order, and zeroed in the pool as they leave it. Unused bytes
 * in memory are no weaker than OpenSSL's generator state, which lives in the same process and
 * determines every future output. The pool is module state, so each worker thread has its own.
 * @module
 */
import { randomBytes } from "node:crypto"

const POOL_SIZE = 4096
let pool: Buffer | null = null
let offset = POOL_SIZE

/**
 * `n` fresh random bytes (at most 256) in a new array the caller owns.
 * @throws RangeError when `n` is outside 0..256
 */
export function pooledRandomBytes(n: number): Uint8Array {
  if (!(n >= 0 && n <= 256)) throw new RangeError("pooledRandomBytes hands out at most 256 bytes")
  if (pool === null || offset + n > POOL_SIZE) {
    pool?.fill(0)
    pool = randomBytes(POOL_SIZE)
    offset = 0
  }
  const out = new Uint8Array(n)
  out.set(pool.subarray(offset, offset + n))
  pool.fill(0, offset, offset + n)
  offset += n
  return out
}
