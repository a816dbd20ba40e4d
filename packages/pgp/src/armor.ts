/**
 * ASCII armour in the exact layout Go sops writes for `PGP MESSAGE` blocks.
 * @module
 */

const BEGIN = "-----BEGIN PGP MESSAGE-----"
const END = "-----END PGP MESSAGE-----"
/** Go's armour encoder wraps at 64 columns (RFC 4880 allows up to 76). */
const LINE = 64

/** CRC-24 of RFC 4880 section 6.1, which Go still appends after the base64 body. */
function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce
  for (const b of bytes) {
    crc ^= b << 16
    for (let i = 0; i < 8; i++) {
      crc <<= 1
      if (crc & 0x1000000) crc ^= 0x1864cfb
    }
  }
  return crc & 0xffffff
}

/**
 * Armours a binary OpenPGP message the way sops' pure-Go path does: no armour headers, a blank
 * line, base64 wrapped at 64 columns, the `=CRC24` line, and **no trailing newline**. Keeping
 * this layout means files written by sops-ts diff cleanly against files written by sops.
 * @param binary - the binary OpenPGP message
 * @returns the armoured text
 */
export function armorMessage(binary: Uint8Array): string {
  const b64 = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).toString("base64")
  const lines: string[] = [BEGIN, ""]
  for (let i = 0; i < b64.length; i += LINE) lines.push(b64.slice(i, i + LINE))
  const crc = crc24(binary)
  const crcBytes = Buffer.from([(crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff])
  lines.push("=" + crcBytes.toString("base64"), END)
  return lines.join("\n")
}
