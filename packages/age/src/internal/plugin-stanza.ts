/**
 * Stanza framing of the age plugin protocol (C2SP age-plugin, "IPC protocol"): commands are
 * age stanzas, serialized exactly as in an age v1 header. This module turns a byte stream
 * from a plugin's stdout into stanzas, incrementally, and encodes the client's stanzas.
 *
 * Plugin output is untrusted: lines and bodies are bounded, every argument and base64 line is
 * checked as strictly as age checks a header, and error messages never quote a line (a
 * `file-key` body is a secret).
 * @module
 */
import { concatBytes } from "@sops-ts/core"

/** One protocol stanza: a command (the stanza type), its arguments and its body. */
export interface PluginStanza {
  readonly type: string
  readonly args: readonly string[]
  readonly body: Uint8Array
}

/** The plugin broke the framing; the message names the rule, never the content. */
export class PluginProtocolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "PluginProtocolError"
  }
}

/** Longest line accepted (plugin recipients and identities can be a few KiB long). */
const MAX_LINE = 64 * 1024
/** Largest stanza body accepted. */
const MAX_BODY = 1024 * 1024
const NL = 0x0a
const EMPTY = new Uint8Array(0)

// The framing is age's header syntax. It is written out here rather than imported from
// format.ts so that this lazily loaded client shares no module with the startup path (a
// shared module would cost the startup path one more bundle chunk to load).

/** Whether `s` is a valid stanza argument: non-empty printable ASCII, no space. */
function isArg(s: string): boolean {
  return /^[\x21-\x7e]+$/.test(s)
}

function rawBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64").replace(/=+$/, "")
}

/** Strict, canonical unpadded standard base64 (as age requires); null when malformed. */
export function decodeRawBase64(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*$/.test(s) || s.length % 4 === 1) return null
  const buf = Buffer.from(s, "base64")
  const out = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  // Node ignores stray low bits in the last character; age does not.
  return rawBase64(out) === s ? out : null
}

/**
 * Encodes one client stanza: `-> type args…`, then the body in base64 lines of 64 columns
 * (48 bytes), the last one shorter than 64 and so empty when the body fills its last line or
 * is empty.
 */
export function encodePluginStanza(type: string, args: readonly string[] = [], body: Uint8Array = EMPTY): Uint8Array {
  let text = `-> ${[type, ...args].join(" ")}\n`
  for (let i = 0; i < body.length; i += 48) text += `${rawBase64(body.subarray(i, Math.min(i + 48, body.length)))}\n`
  if (body.length % 48 === 0) text += "\n"
  return new Uint8Array(Buffer.from(text, "latin1"))
}

interface Partial {
  readonly type: string
  readonly args: string[]
  readonly chunks: Uint8Array[]
  size: number
}

/**
 * Incremental stanza parser: {@link StanzaReader.push} bytes as they arrive, then call
 * {@link StanzaReader.next} until it returns null (more bytes needed).
 */
export class StanzaReader {
  private buffer: Buffer = Buffer.alloc(0)
  private partial: Partial | null = null

  /** Appends bytes read from the plugin. */
  push(chunk: Uint8Array): void {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk])
    if (this.buffer.indexOf(NL) < 0 && this.buffer.length > MAX_LINE) {
      throw new PluginProtocolError("line too long in the plugin's output")
    }
  }

  /** Whether bytes of an unfinished stanza are pending (the stream must not end here). */
  get midStanza(): boolean {
    return this.partial !== null || this.buffer.length > 0
  }

  /**
   * The next complete stanza, or null when more bytes are needed.
   * @throws PluginProtocolError for malformed framing
   */
  next(): PluginStanza | null {
    for (;;) {
      const line = this.nextLine()
      if (line === null) return null
      if (this.partial === null) {
        this.partial = openStanza(line)
        continue
      }
      const chunk = line.length <= 64 ? decodeRawBase64(line) : null
      if (chunk === null) throw new PluginProtocolError("malformed stanza body line in the plugin's output")
      const p = this.partial
      p.chunks.push(chunk)
      p.size += chunk.length
      if (p.size > MAX_BODY) throw new PluginProtocolError("stanza body too large in the plugin's output")
      // A body ends with a line shorter than 64 columns (48 bytes), possibly empty.
      if (chunk.length < 48) {
        this.partial = null
        return { type: p.type, args: p.args, body: p.chunks.length === 1 ? p.chunks[0]! : concatBytes(p.chunks) }
      }
    }
  }

  /** The next LF-terminated line (printable ASCII only), without its LF; null if incomplete. */
  private nextLine(): string | null {
    const nl = this.buffer.indexOf(NL)
    if (nl < 0) return null
    if (nl > MAX_LINE) throw new PluginProtocolError("line too long in the plugin's output")
    const bytes = this.buffer.subarray(0, nl)
    this.buffer = this.buffer.subarray(nl + 1)
    for (const b of bytes) {
      if (b < 32 || b > 126) throw new PluginProtocolError("non-printable character in the plugin's output")
    }
    return bytes.toString("latin1")
  }
}

function openStanza(line: string): Partial {
  const parts = line.split(" ")
  if (parts[0] !== "->" || parts.length < 2) throw new PluginProtocolError("malformed stanza line in the plugin's output")
  const [type, ...args] = parts.slice(1) as [string, ...string[]]
  if (!isArg(type) || !args.every(isArg)) throw new PluginProtocolError("malformed stanza argument in the plugin's output")
  return { type, args, chunks: [], size: 0 }
}

/** A file index argument (`0`, `1`, …, no sign or leading zero), or null when malformed. */
export function parseFileIndex(arg: string): number | null {
  return /^(?:0|[1-9][0-9]{0,8})$/.test(arg) ? Number(arg) : null
}

const MAX_MESSAGE = 300

/**
 * Describes an `error` command for an error message: `reported an error (<variant> <index>…):
 * <text>`, with control characters removed and the length bounded. Plugins write these texts
 * for the user.
 */
export function describePluginError(s: PluginStanza): string {
  let text = new TextDecoder("utf-8", { fatal: false }).decode(s.body)
  text = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim()
  if (text.length > MAX_MESSAGE) text = `${text.slice(0, MAX_MESSAGE)}…`
  const where = s.args.length > 0 ? ` (${s.args.join(" ").slice(0, 60)})` : ""
  return `reported an error${where}: ${text === "" ? "no message" : text}`
}
