/**
 * The age v1 file format (C2SP age): the ASCII armor, the textual header with its stanzas
 * and MAC line, and the binary header encoding. No cryptography here.
 * @module
 */
import { decodeRawBase64, encodeRawBase64 } from "./base64.js"

/**
 * One recipient stanza of an age header: `-> arg…` and a binary body. Structurally the same
 * as typage's `Stanza`, so typage identities and recipients accept it and vice versa.
 */
export class Stanza {
  /** @param args - the space-separated arguments (the first one is the stanza type) */
  constructor(
    readonly args: string[],
    readonly body: Uint8Array,
  ) {}
}

/** A malformed age file or armor; the message names the rule that failed, never any content. */
export class AgeFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "AgeFormatError"
  }
}

const BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----"
const END = "-----END AGE ENCRYPTED FILE-----"
const ARMOR_LINE = /^[A-Za-z0-9+/]{64}$/
const ARMOR_LAST = /^(?:[A-Za-z0-9+/]{4}){0,15}(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$/

/**
 * Decodes an armored age file as age does: surrounding whitespace ignored, LF or CRLF line
 * ends, otherwise strict (64-column lines, padded base64 only at the very end, canonical).
 * @throws AgeFormatError
 */
export function decodeArmor(text: string): Uint8Array {
  const lines = text.trim().replaceAll("\r\n", "\n").split("\n")
  if (lines.shift() !== BEGIN) throw new AgeFormatError("missing armor header line")
  if (lines.pop() !== END) throw new AgeFormatError("missing armor footer line")
  if (lines.length === 0) throw new AgeFormatError("empty armor")
  for (let i = 0; i < lines.length - 1; i++) {
    if (!ARMOR_LINE.test(lines[i]!)) throw new AgeFormatError("armor lines must be 64 base64 characters")
  }
  const last = lines[lines.length - 1]!
  if (!ARMOR_LAST.test(last)) throw new AgeFormatError("invalid last armor line")
  const b64 = lines.join("")
  const buf = Buffer.from(b64, "base64")
  // Node ignores stray low bits in the last character; age does not.
  if (buf.toString("base64") !== b64) throw new AgeFormatError("non-canonical base64 in armor")
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
}

/** Encodes a binary age file as armor: 64-column padded base64 and a final newline. */
export function encodeArmor(file: Uint8Array): string {
  const b64 = Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString("base64")
  let out = `${BEGIN}\n`
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`
  return `${out}${END}\n`
}

/** The parsed header of a binary age file. */
export interface AgeHeader {
  readonly stanzas: Stanza[]
  /** The header bytes up to and including `---`: what the MAC covers. */
  readonly headerNoMac: Uint8Array
  /** The 32-byte header MAC. */
  readonly mac: Uint8Array
  /** Where the payload (nonce, then STREAM chunks) starts. */
  readonly payloadOffset: number
}

const VERSION = "age-encryption.org/v1"
const NL = 0x0a

function isArg(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 33 || c > 126) return false
  }
  return true
}

/**
 * Parses the header of a binary age file (age-encryption.org/v1).
 * @throws AgeFormatError for anything the spec does not allow
 */
export function parseHeader(file: Uint8Array): AgeHeader {
  let pos = 0
  const nextLine = (): string => {
    const nl = file.indexOf(NL, pos)
    if (nl < 0) throw new AgeFormatError("truncated age header")
    const bytes = file.subarray(pos, nl)
    for (const b of bytes) if (b < 32 || b > 126) throw new AgeFormatError("non-printable character in age header")
    pos = nl + 1
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")
  }
  if (nextLine() !== VERSION) throw new AgeFormatError("not an age-encryption.org/v1 file")
  const stanzas: Stanza[] = []
  for (;;) {
    const lineStart = pos
    const line = nextLine()
    if (line.startsWith("---")) {
      const parts = line.split(" ")
      if (parts.length !== 2 || parts[0] !== "---") throw new AgeFormatError("malformed age header MAC line")
      const mac = decodeRawBase64(parts[1]!)
      if (mac === null || mac.length !== 32) throw new AgeFormatError("malformed age header MAC")
      return { stanzas, headerNoMac: file.subarray(0, lineStart + 3), mac, payloadOffset: pos }
    }
    const parts = line.split(" ")
    if (parts[0] !== "->" || parts.length < 2) throw new AgeFormatError("malformed age stanza line")
    const args = parts.slice(1)
    if (!args.every(isArg)) throw new AgeFormatError("malformed age stanza argument")
    const chunks: Uint8Array[] = []
    let size = 0
    for (;;) {
      const l = nextLine()
      const chunk = l.length <= 64 ? decodeRawBase64(l) : null
      if (chunk === null) throw new AgeFormatError("malformed age stanza body")
      chunks.push(chunk)
      size += chunk.length
      if (chunk.length < 48) break
    }
    const body = new Uint8Array(size)
    let o = 0
    for (const c of chunks) {
      body.set(c, o)
      o += c.length
    }
    stanzas.push(new Stanza(args, body))
  }
}

/** The header up to and including `---` (what the MAC covers), as age writes it. */
export function encodeHeaderNoMac(stanzas: readonly { args: readonly string[]; body: Uint8Array }[]): string {
  let out = `${VERSION}\n`
  for (const s of stanzas) {
    out += `-> ${s.args.join(" ")}\n`
    // Body lines of 64 base64 characters (48 bytes); a body that fills its last line is
    // followed by an empty line so the reader knows it ended.
    for (let i = 0; i < s.body.length; i += 48) out += `${encodeRawBase64(s.body.subarray(i, Math.min(i + 48, s.body.length)))}\n`
    if (s.body.length % 48 === 0) out += "\n"
  }
  return `${out}---`
}
