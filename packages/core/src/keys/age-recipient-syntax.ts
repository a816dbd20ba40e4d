/**
 * Syntax check of age recipient strings, so a typo in `--age` or `.sops.yaml` fails when the
 * key list is read (as in sops, whose `parseRecipient` runs there) rather than at encryption.
 * Only the syntax is checked here; the age provider does the cryptographic parsing.
 * @module
 */

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]

function polymod(values: readonly number[]): number {
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!
  }
  return chk
}

/**
 * Decodes a lower-case Bech32 string (age's variant: no 90-character limit, which the
 * post-quantum recipients exceed).
 * @returns the human-readable part and the payload bytes, or null when malformed
 */
export function decodeBech32(s: string): { hrp: string; data: Uint8Array } | null {
  const pos = s.lastIndexOf("1")
  if (pos < 1 || pos + 7 > s.length) return null
  const hrp = s.slice(0, pos)
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i)
    if (c < 33 || c > 126 || (c >= 65 && c <= 90)) return null
  }
  const words: number[] = []
  for (let i = pos + 1; i < s.length; i++) {
    const w = CHARSET.indexOf(s[i]!)
    if (w < 0) return null
    words.push(w)
  }
  const expanded: number[] = []
  for (let i = 0; i < hrp.length; i++) expanded.push(hrp.charCodeAt(i) >> 5)
  expanded.push(0)
  for (let i = 0; i < hrp.length; i++) expanded.push(hrp.charCodeAt(i) & 31)
  if (polymod([...expanded, ...words]) !== 1) return null
  // 5-bit groups to bytes; leftover bits must be fewer than 5 and all zero.
  const payload = words.slice(0, -6)
  const out: number[] = []
  let acc = 0
  let bits = 0
  for (const w of payload) {
    acc = (acc << 5) | w
    bits += 5
    if (bits >= 8) {
      bits -= 8
      out.push((acc >> bits) & 0xff)
    }
  }
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return null
  return { hrp, data: Uint8Array.from(out) }
}

const SSH_RECIPIENT = /^ssh-(?:ed25519|rsa) [A-Za-z0-9+/]+={0,2}(?: .*)?$/s

/**
 * Why `recipient` is not a recipient sops accepts, or null when it is. The checks follow
 * sops' `parseRecipient` order: `age1pq1` hybrid, `age1<plugin>1` plugin (more than one
 * `1`), `age1` X25519, then `ssh-`.
 */
export function ageRecipientProblem(recipient: string): string | null {
  if (recipient.startsWith("age1pq1")) {
    const d = decodeBech32(recipient)
    return d !== null && d.hrp === "age1pq" ? null : "not a valid Bech32 post-quantum age recipient"
  }
  if (recipient.startsWith("age1") && recipient.indexOf("1", 4) >= 0) {
    const d = decodeBech32(recipient)
    return d !== null && d.hrp.length > 4 ? null : "not a valid Bech32 age plugin recipient"
  }
  if (recipient.startsWith("age1")) {
    const d = decodeBech32(recipient)
    return d !== null && d.hrp === "age" && d.data.length === 32 ? null : "not a valid Bech32 age X25519 recipient"
  }
  if (recipient.startsWith("ssh-")) {
    return SSH_RECIPIENT.test(recipient) ? null : "not a supported SSH public key (ssh-ed25519 or ssh-rsa)"
  }
  return "unknown recipient type"
}
