/**
 * Decodes YAML input bytes the way go-yaml's reader does: UTF-8 by default, UTF-16 when a
 * byte order mark says so, the BOM dropped, and characters YAML forbids rejected.
 * @module
 */
import { SopsError } from "../../errors.js"

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })
const utf16le = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: false })
const utf16be = new TextDecoder("utf-16be", { fatal: true, ignoreBOM: false })

/**
 * The offset of the first character outside YAML's printable set (tab, LF, CR, 0x20-0x7E,
 * NEL, 0xA0-0xD7FF, 0xE000-0xFFFD, astral planes), or -1. A loop: a regex is slower here.
 */
function firstForbidden(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x20 && c < 0x7f) continue
    if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a && c !== 0x0d) return i
    } else if (c < 0xa0 ? c !== 0x85 : c === 0xfffe || c === 0xffff) {
      return i
    }
  }
  return -1
}

/**
 * Returns the input as a string, without a leading BOM.
 * @throws SopsError `ERR_FORMAT` for invalid encodings or control characters
 */
export function decodeYamlInput(input: Uint8Array): string {
  let text: string
  try {
    if (input.length >= 2 && input[0] === 0xff && input[1] === 0xfe) text = utf16le.decode(input)
    else if (input.length >= 2 && input[0] === 0xfe && input[1] === 0xff) text = utf16be.decode(input)
    else text = utf8.decode(input)
  } catch (cause) {
    throw new SopsError("ERR_FORMAT", "yaml: input is not valid UTF-8 or UTF-16", { cause })
  }
  // TextDecoder with ignoreBOM=false already strips one BOM at the start.
  const bad = firstForbidden(text)
  if (bad >= 0) {
    const before = text.slice(0, bad)
    let line = 1
    for (let i = before.indexOf("\n"); i >= 0; i = before.indexOf("\n", i + 1)) line++
    throw new SopsError("ERR_FORMAT", "yaml: control characters are not allowed", {
      details: { line, column: bad - before.lastIndexOf("\n") },
    })
  }
  return text
}
