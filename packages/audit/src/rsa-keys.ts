/**
 * RSA key sizes without any crypto library: the modulus length of `ssh-rsa` age recipients
 * and of RSA keys in armored OpenPGP public key files (by v4 fingerprint).
 * @module
 */
import { createHash } from "node:crypto"

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!
}

/** Bit length of a big-endian unsigned integer. */
function bitLength(b: Uint8Array): number {
  let i = 0
  while (i < b.length && b[i] === 0) i++
  if (i === b.length) return 0
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!))
}

/**
 * The modulus size of an `ssh-rsa AAAA...` public key, or null when it is not one.
 * @param recipient - the age recipient as written in metadata
 */
export function sshRsaBits(recipient: string): number | null {
  const m = /^ssh-rsa\s+([A-Za-z0-9+/=]+)/.exec(recipient.trim())
  if (!m) return null
  const blob = new Uint8Array(Buffer.from(m[1]!, "base64"))
  let o = 0
  const field = (): Uint8Array | null => {
    if (o + 4 > blob.length) return null
    const n = u32(blob, o)
    o += 4
    if (o + n > blob.length) return null
    const f = blob.subarray(o, o + n)
    o += n
    return f
  }
  const name = field()
  if (name === null || new TextDecoder().decode(name) !== "ssh-rsa") return null
  if (field() === null) return null // public exponent
  const n = field()
  return n === null ? null : bitLength(n)
}

/** An OpenPGP public key or subkey found in a key file. */
export interface PgpKeyInfo {
  /** Upper-case hex v4 fingerprint. */
  readonly fingerprint: string
  /** OpenPGP public-key algorithm id (1-3 = RSA). */
  readonly algorithm: number
  /** RSA modulus bits, or null for other algorithms. */
  readonly rsaBits: number | null
}

function dearmor(text: string): Uint8Array | null {
  const m = /-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n([\s\S]*?)-----END PGP PUBLIC KEY BLOCK-----/.exec(text)
  if (!m) return null
  const lines = m[1]!.split(/\r?\n/)
  // Armor headers end at the first blank line; the checksum line starts with '='.
  const blank = lines.findIndex((l) => l.trim() === "")
  const body = lines
    .slice(blank === -1 ? 0 : blank + 1)
    .filter((l) => !l.startsWith("="))
    .join("")
  return new Uint8Array(Buffer.from(body, "base64"))
}

/**
 * Lists the version-4 public keys and subkeys of an armored (or binary) OpenPGP key file.
 * Unknown packets are skipped; malformed input yields what could be read.
 */
export function pgpKeysOf(input: Uint8Array): PgpKeyInfo[] {
  const text = new TextDecoder().decode(input)
  const bytes = text.includes("-----BEGIN PGP PUBLIC KEY BLOCK-----") ? dearmor(text) : input
  if (bytes === null) return []
  const out: PgpKeyInfo[] = []
  let o = 0
  while (o < bytes.length) {
    const h = bytes[o]!
    if ((h & 0x80) === 0) break
    let tag: number
    let len: number
    o++
    if (h & 0x40) {
      tag = h & 0x3f
      const a = bytes[o]
      if (a === undefined) break
      if (a < 192) {
        len = a
        o += 1
      } else if (a < 224) {
        len = ((a - 192) << 8) + (bytes[o + 1] ?? 0) + 192
        o += 2
      } else if (a === 255) {
        len = u32(bytes, o + 1)
        o += 5
      } else break // partial lengths never occur in key packets
    } else {
      tag = (h >> 2) & 0x0f
      const lt = h & 3
      if (lt === 0) {
        len = bytes[o] ?? 0
        o += 1
      } else if (lt === 1) {
        len = ((bytes[o] ?? 0) << 8) | (bytes[o + 1] ?? 0)
        o += 2
      } else if (lt === 2) {
        len = u32(bytes, o)
        o += 4
      } else break
    }
    const body = bytes.subarray(o, o + len)
    o += len
    // 6 = public key, 14 = public subkey; only v4 has the SHA-1 fingerprints sops records.
    if ((tag === 6 || tag === 14) && body[0] === 4 && body.length >= 8) {
      const prefix = new Uint8Array([0x99, (body.length >> 8) & 0xff, body.length & 0xff])
      const fingerprint = createHash("sha1").update(prefix).update(body).digest("hex").toUpperCase()
      const algorithm = body[5]!
      let rsaBits: number | null = null
      if (algorithm >= 1 && algorithm <= 3) rsaBits = ((body[6]! << 8) | body[7]!) >>> 0
      out.push({ fingerprint, algorithm, rsaBits })
    }
  }
  return out
}
