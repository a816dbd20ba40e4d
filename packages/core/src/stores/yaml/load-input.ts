/**
 * Decodes YAML input bytes the way go-yaml's reader does: UTF-8 by default, UTF-16 when a
 * byte order mark says so, the BOM dropped, and characters YAML forbids rejected.
 * @module
 */
import { SopsError } from "../../errors.js"

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false })
const utf16le = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: false })
const utf16be = new TextDecoder("utf-16be", { fatal: true, ignoreBOM: false })

/** Decoded YAML input. */
export interface DecodedYaml {
  /** The input as a string, without a leading BOM. */
  readonly text: string
  /**
   * Offset of the first tab, CR, NEL, LS, PS or high surrogate, or -1 for none: the scanner's
   * fast paths need to know where the first of these (less CR) is, and this comes free with
   * the check for forbidden characters (see the `Scanner` constructor).
   */
  readonly firstIrregular: number
}

/**
 * Characters outside YAML's printable set (tab, LF, CR, 0x20-0x7E, NEL, 0xA0-0xD7FF,
 * 0xE000-0xFFFD, astral planes); each matches one UTF-16 code unit.
 */
const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]/g
/** {@link FORBIDDEN} plus the irregular characters of {@link DecodedYaml.firstIrregular}. */
const FORBIDDEN_OR_IRREGULAR = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udbff\ufffe\uffff]/g

/** Whether a code unit is in {@link FORBIDDEN}. */
function isForbidden(c: number): boolean {
  if (c >= 0x20 && c < 0x7f) return false
  if (c < 0x20) return c !== 0x09 && c !== 0x0a && c !== 0x0d
  return c < 0xa0 ? c !== 0x85 : c === 0xfffe || c === 0xffff
}

/** The first offset >= `from` where the global one-code-unit regex `re` matches, or -1. */
function search(re: RegExp, text: string, from: number): number {
  re.lastIndex = from
  return re.test(text) ? re.lastIndex - 1 : -1
}

/**
 * Returns the input as a string, without a leading BOM, with the offset of its first
 * irregular character. The check for forbidden characters and that offset come from one
 * regex pass in the common case (a JS loop over the characters is about twice as slow on
 * large files; the class includes CR because the regex runs faster with it).
 * @throws SopsError `ERR_FORMAT` for invalid encodings or control characters
 */
export function decodeYamlInput(input: Uint8Array): DecodedYaml {
  let text: string
  try {
    if (input.length >= 2 && input[0] === 0xff && input[1] === 0xfe) text = utf16le.decode(input)
    else if (input.length >= 2 && input[0] === 0xfe && input[1] === 0xff) text = utf16be.decode(input)
    else text = utf8.decode(input)
  } catch (cause) {
    throw new SopsError("ERR_FORMAT", "yaml: input is not valid UTF-8 or UTF-16", { cause })
  }
  // TextDecoder with ignoreBOM=false already strips one BOM at the start.
  const first = search(FORBIDDEN_OR_IRREGULAR, text, 0)
  let bad = -1
  if (first >= 0) {
    // An allowed irregular hit means nothing forbidden comes before it: look on after it.
    bad = isForbidden(text.charCodeAt(first)) ? first : search(FORBIDDEN, text, first + 1)
  }
  if (bad >= 0) {
    const before = text.slice(0, bad)
    let line = 1
    for (let i = before.indexOf("\n"); i >= 0; i = before.indexOf("\n", i + 1)) line++
    throw new SopsError("ERR_FORMAT", "yaml: control characters are not allowed", {
      details: { line, column: bad - before.lastIndexOf("\n") },
    })
  }
  return { text, firstIrregular: first }
}
