/**
 * A throwaway self-signed TLS certificate for the loopback emulators that speak TLS (gRPC
 * needs it to carry bearer tokens; Azure's SDK refuses plain HTTP). Built with node:crypto
 * and a tiny DER writer, so no openssl is needed.
 * @module
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto"

/** A PEM certificate and its PEM private key. */
export interface SelfSignedCert {
  /** The certificate, also the root to trust (`ca`). */
  readonly certPem: string
  readonly keyPem: string
}

function len(n: number): number[] {
  if (n < 0x80) return [n]
  const bytes: number[] = []
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff)
  return [0x80 | bytes.length, ...bytes]
}

function tlv(tag: number, ...content: (Uint8Array | number[])[]): Uint8Array {
  const body = content.flatMap((c) => [...c])
  return Uint8Array.from([tag, ...len(body.length), ...body])
}

const seq = (...c: Uint8Array[]): Uint8Array => tlv(0x30, ...c)

function oid(dotted: string): Uint8Array {
  const parts = dotted.split(".").map(Number)
  const out = [40 * parts[0]! + parts[1]!]
  for (const p of parts.slice(2)) {
    const chunk = [p & 0x7f]
    for (let v = p >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f))
    out.push(...chunk)
  }
  return tlv(0x06, out)
}

function utcTime(d: Date): Uint8Array {
  const s = d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z"
  return tlv(0x17, [...Buffer.from(s, "ascii")])
}

function name(cn: string): Uint8Array {
  return seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0c, [...Buffer.from(cn, "utf8")]))))
}

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{1,64}/g, "$&\n")
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`
}

/**
 * Creates an ECDSA P-256 certificate for `127.0.0.1` and `dnsNames`, valid for a day.
 * @param commonName - the subject and issuer CN
 * @param dnsNames - the DNS names it is valid for (default `localhost`)
 */
export function createSelfSignedCert(commonName = "sops-ts test server", dnsNames: readonly string[] = ["localhost"]): SelfSignedCert {
  // Encoded by the generation, never exported afterwards (that can deadlock Node 20).
  const { privateKey: keyPem, publicKey } = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  })
  const spki = new Uint8Array(publicKey)
  const ecdsaSha256 = seq(oid("1.2.840.10045.4.3.2"))
  const now = Date.now()
  const serial = randomBytes(12)
  // A positive INTEGER in minimal form: a leading 0x00 before a byte below 0x80 is padding
  // OpenSSL refuses ("illegal padding"), which failed about one run in 256.
  serial[0] = 0x40 | (serial[0]! & 0x3f)
  const san = seq(tlv(0x87, [127, 0, 0, 1]), ...dnsNames.map((n) => tlv(0x82, [...Buffer.from(n, "ascii")])))
  const basicConstraints = seq(tlv(0x01, [0xff]))
  const extensions = tlv(
    0xa3,
    seq(
      seq(oid("2.5.29.17"), tlv(0x04, san)),
      seq(oid("2.5.29.19"), tlv(0x01, [0xff]), tlv(0x04, basicConstraints)),
    ),
  )
  const tbs = seq(
    tlv(0xa0, tlv(0x02, [2])),
    tlv(0x02, serial),
    ecdsaSha256,
    name(commonName),
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name(commonName),
    spki,
    extensions,
  )
  const signature = new Uint8Array(sign("sha256", tbs, keyPem))
  const cert = seq(tbs, ecdsaSha256, tlv(0x03, [0], signature))
  return { certPem: pem("CERTIFICATE", cert), keyPem }
}
