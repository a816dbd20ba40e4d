/**
 * Deciding whether a file is a sops file, cheaply, before any parsing: every sops file has a
 * `lastmodified` entry in its `sops` metadata, written in a way specific to its format. A file
 * with the marker that then fails to parse is a damaged sops file (reported); a file without
 * it is simply not ours (skipped).
 * @module
 */
import type { Format } from "@sops-ts/core"

const MARKERS: Readonly<Record<Format, readonly RegExp[]>> = {
  yaml: [/^sops:/m, /^[ \t]+lastmodified:/m],
  json: [/"sops"\s*:/, /"lastmodified"\s*:/],
  binary: [/"sops"\s*:/, /"lastmodified"\s*:/],
  dotenv: [/^sops_lastmodified=/m],
  ini: [/^\[sops\]/m, /^lastmodified\s*=/m],
}

const decoder = new TextDecoder("utf-8", { fatal: false })

/** Largest file examined; sops files are small text, anything bigger is not one of them. */
export const MAX_SOPS_FILE_BYTES = 64 * 1024 * 1024

/** Whether `bytes` look like a sops-encrypted file of `format`. */
export function looksLikeSopsFile(bytes: Uint8Array, format: Format): boolean {
  if (bytes.length > MAX_SOPS_FILE_BYTES) return false
  // Cheap rejection of binary blobs and unrelated text before decoding.
  if (bytes.indexOf(0) !== -1) return false
  const text = decoder.decode(bytes)
  if (!text.includes("lastmodified")) return false
  return MARKERS[format].every((re) => re.test(text))
}
