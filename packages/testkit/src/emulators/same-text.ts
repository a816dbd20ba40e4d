/**
 * Constant-time comparison of credentials presented to the emulators, so they model a real
 * service's token check rather than teach a short-circuiting `===`.
 * @module
 */
import { timingSafeEqual } from "node:crypto"

/**
 * True when `given` equals `expected`. A missing or repeated header (`undefined`, an array)
 * never matches. Only the length can leak through timing, as with `timingSafeEqual`.
 * @param given - what the request carried
 * @param expected - the credential the emulator issued
 */
export function sameText(given: string | readonly string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false
  const x = Buffer.from(given)
  const y = Buffer.from(expected)
  return x.length === y.length && timingSafeEqual(x, y)
}
