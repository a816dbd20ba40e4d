/**
 * The SSH wire encoding (RFC 4251 §5): `uint32`, length-prefixed `string` and `mpint`.
 * Used for public key blobs, which age hashes for the stanza tag, and for OpenSSH private keys.
 * @module
 */

/** Thrown by {@link WireReader} on truncated or malformed input; callers map it to a SopsError. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "WireFormatError"
  }
}

/** Sequential reader over SSH wire data. */
export class WireReader {
  private offset = 0
  constructor(private readonly bytes: Uint8Array) {}

  /** Bytes left to read. */
  get remaining(): number {
    return this.bytes.length - this.offset
  }

  uint32(): number {
    if (this.remaining < 4) throw new WireFormatError("truncated uint32")
    const b = this.bytes
    const o = this.offset
    this.offset += 4
    return ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!
  }

  raw(n: number): Uint8Array {
    if (n < 0 || this.remaining < n) throw new WireFormatError("truncated data")
    const out = this.bytes.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  string(): Uint8Array {
    return this.raw(this.uint32())
  }

  /** A non-negative mpint, returned as minimal unsigned big-endian bytes. */
  mpint(): Uint8Array {
    const v = this.string()
    if (v.length > 0 && (v[0]! & 0x80) !== 0) throw new WireFormatError("negative mpint")
    let i = 0
    while (i < v.length && v[i] === 0) i++
    return v.subarray(i)
  }
}

/** Concatenates SSH wire fields. */
export class WireWriter {
  private readonly parts: Uint8Array[] = []

  uint32(n: number): this {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, n)
    this.parts.push(b)
    return this
  }

  string(data: Uint8Array | string): this {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data
    this.uint32(bytes.length)
    this.parts.push(bytes)
    return this
  }

  /** Writes an unsigned big-endian integer as a minimal, positive mpint. */
  mpint(unsigned: Uint8Array): this {
    let i = 0
    while (i < unsigned.length && unsigned[i] === 0) i++
    const v = unsigned.subarray(i)
    if (v.length > 0 && (v[0]! & 0x80) !== 0) {
      const padded = new Uint8Array(v.length + 1)
      padded.set(v, 1)
      return this.string(padded)
    }
    return this.string(v)
  }

  bytes(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0)
    const out = new Uint8Array(total)
    let o = 0
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}
