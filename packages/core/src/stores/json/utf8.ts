/**
 * UTF-8 handling with Go's rules, shared by the JSON parser and emitter.
 *
 * Go replaces each byte of a broken sequence by one U+FFFD (`utf8.DecodeRune` reports size 1
 * for anything invalid), while the WHATWG decoder behind `TextDecoder` folds a truncated
 * sequence into a single U+FFFD. The two only agree on valid input, so valid runs are handed to
 * `TextDecoder` and invalid bytes are handled here one at a time.
 * @module
 */

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const asciiDecoder = new TextDecoder("utf-8", { ignoreBOM: true })

/**
 * Length of the valid UTF-8 sequence starting at `bytes[i]` (1 to 4), or 0 when the byte at `i`
 * does not start one (Go's `utf8.DecodeRune` would return `RuneError, 1`). Surrogate code
 * points and overlong forms are invalid, as in Go.
 */
export function utf8SequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const c = bytes[i]!
  if (c < 0x80) return 1
  if (c < 0xc2) return 0
  if (c < 0xe0) return i + 1 < end && (bytes[i + 1]! & 0xc0) === 0x80 ? 2 : 0
  if (c < 0xf0) {
    if (i + 2 >= end) return 0
    const c1 = bytes[i + 1]!
    const lo = c === 0xe0 ? 0xa0 : 0x80
    const hi = c === 0xed ? 0x9f : 0xbf
    if (c1 < lo || c1 > hi || (bytes[i + 2]! & 0xc0) !== 0x80) return 0
    return 3
  }
  if (c < 0xf5) {
    if (i + 3 >= end) return 0
    const c1 = bytes[i + 1]!
    const lo = c === 0xf0 ? 0x90 : 0x80
    const hi = c === 0xf4 ? 0x8f : 0xbf
    if (c1 < lo || c1 > hi || (bytes[i + 2]! & 0xc0) !== 0x80 || (bytes[i + 3]! & 0xc0) !== 0x80) return 0
    return 4
  }
  return 0
}

/** Decodes bytes known to be ASCII. Short runs avoid the per-call cost of `TextDecoder`. */
export function decodeAscii(bytes: Uint8Array, start: number, end: number): string {
  const n = end - start
  if (n <= 24) {
    let s = ""
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!)
    return s
  }
  return asciiDecoder.decode(bytes.subarray(start, end))
}

/** Decodes valid UTF-8, or returns null when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array, start = 0, end = bytes.length): string | null {
  try {
    return strictDecoder.decode(bytes.subarray(start, end))
  } catch {
    return null
  }
}

/**
 * Splits `bytes[start, end)` into maximal valid UTF-8 runs and single invalid bytes, in order,
 * calling `valid(text)` for each decoded run and `invalid()` for each bad byte.
 */
export function forEachUtf8Run(
  bytes: Uint8Array,
  start: number,
  end: number,
  valid: (text: string) => void,
  invalid: () => void,
): void {
  let runStart = start
  let i = start
  while (i < end) {
    const n = utf8SequenceLength(bytes, i, end)
    if (n > 0) {
      i += n
      continue
    }
    if (runStart < i) valid(strictDecoder.decode(bytes.subarray(runStart, i)))
    invalid()
    i++
    runStart = i
  }
  if (runStart < end) valid(strictDecoder.decode(bytes.subarray(runStart, end)))
}

/** Decodes like Go's `encoding/json`: every byte of an invalid sequence becomes U+FFFD. */
export function decodeUtf8GoLossy(bytes: Uint8Array, start: number, end: number): string {
  const fast = decodeUtf8Strict(bytes, start, end)
  if (fast !== null) return fast
  let out = ""
  forEachUtf8Run(
    bytes,
    start,
    end,
    (text) => {
      out += text
    },
    () => {
      out += "\uFFFD"
    },
  )
  return out
}
