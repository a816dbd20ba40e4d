/**
 * Fingerprint handling: the `fp` strings sops stores and how they select OpenPGP keys.
 * @module
 */

/** A parsed key selector: upper-case hex, plus gpg's "exactly this (sub)key" marker. */
export interface KeySelector {
  /** Upper-case hex without spaces or `0x` prefix: a v4/v6 fingerprint or a 16-digit key id. */
  readonly hex: string
  /** True when the selector ended with `!` (gpg: use this exact subkey, not the best one). */
  readonly exact: boolean
}

/**
 * Parses a sops `fp` value into a {@link KeySelector}, or returns null when it is not a
 * fingerprint (40 or 64 hex digits) or long key id (16 hex digits). Spaces are ignored, as sops
 * removes them when it reads `--pgp`.
 */
export function parseKeySelector(fp: string): KeySelector | null {
  let s = fp.replace(/\s+/g, "")
  const exact = s.endsWith("!")
  if (exact) s = s.slice(0, -1)
  if (/^0x/i.test(s)) s = s.slice(2)
  if (!/^[0-9a-fA-F]+$/.test(s)) return null
  if (s.length !== 16 && s.length !== 40 && s.length !== 64) return null
  return { hex: s.toUpperCase(), exact }
}

/**
 * The short key id sops passes to gpg's `--trusted-key`: the last 16 characters of `fp`, or the
 * last 17 when `fp` ends with `!` (so that the marker is kept). Shorter strings are returned as is.
 */
export function shortenFingerprint(fp: string): string {
  const keep = fp.endsWith("!") ? 17 : 16
  return fp.length > keep ? fp.slice(fp.length - keep) : fp
}
