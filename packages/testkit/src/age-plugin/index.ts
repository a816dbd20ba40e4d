/**
 * A test age plugin, `age-plugin-sopstest`, and its keys. {@link installSopstestPlugin}
 * writes the executable to a temporary directory for tests to put on `PATH`;
 * {@link sopstestKeyPair} makes a recipient (`age1sopstest1…`) and identity
 * (`AGE-PLUGIN-SOPSTEST-1…`) whose mode byte selects the plugin's behaviour (see
 * `program.ts`). POSIX only: the executable is a `/bin/sh` script that runs Node.
 * @module
 */
import { generateKeyPairSync, type JsonWebKey } from "node:crypto"
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { SOPSTEST_PLUGIN_PROGRAM } from "./program.js"

/** Behaviours of `age-plugin-sopstest`, selected by the key's mode byte. */
export const SOPSTEST_MODES = ["normal", "interactive", "error", "malformed", "hang", "crash", "confirm"] as const

/** One behaviour of `age-plugin-sopstest`. */
export type SopstestMode = (typeof SOPSTEST_MODES)[number]

/** The PIN the `interactive` mode expects in answer to its `request-secret`. */
export const SOPSTEST_PIN = "1234"

/** An installed test plugin. */
export interface InstalledAgePlugin {
  /** The directory holding `age-plugin-sopstest` (and nothing else): put it on `PATH`. */
  readonly binDir: string
  /** `binDir` prepended to `basePath` (default: the current `PATH`). */
  pathWith(basePath?: string): string
  /** Removes the temporary directory. */
  cleanup(): void
}

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]

function polymod(values: readonly number[]): number {
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]!
  }
  return chk
}

/**
 * Bech32 encoding as age uses it (no length limit); the output is lowercase.
 * @param hrp - the human-readable prefix (any case; encoded lowercase)
 */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const h = hrp.toLowerCase()
  const words: number[] = []
  let acc = 0
  let bits = 0
  for (const b of data) {
    acc = (acc << 8) | b
    bits += 8
    while (bits >= 5) {
      bits -= 5
      words.push((acc >> bits) & 31)
    }
    acc &= (1 << bits) - 1
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31)
  const expanded: number[] = []
  for (const c of h) expanded.push(c.charCodeAt(0) >> 5)
  expanded.push(0)
  for (const c of h) expanded.push(c.charCodeAt(0) & 31)
  const chk = polymod([...expanded, ...words, 0, 0, 0, 0, 0, 0]) ^ 1
  let out = `${h}1`
  for (const w of words) out += CHARSET[w]
  for (let i = 0; i < 6; i++) out += CHARSET[(chk >>> (5 * (5 - i))) & 31]
  return out
}

/** A plugin recipient `age1<name>1…` holding `data`. */
export function encodePluginRecipient(name: string, data: Uint8Array): string {
  return bech32Encode(`age1${name}`, data)
}

/** A plugin identity `AGE-PLUGIN-<NAME>-1…` holding `data` (uppercase, as age requires). */
export function encodePluginIdentity(name: string, data: Uint8Array): string {
  return bech32Encode(`AGE-PLUGIN-${name}-`, data).toUpperCase()
}

/**
 * A fresh `age-plugin-sopstest` key pair.
 * @param mode - the plugin behaviour both keys select (default `normal`)
 * @returns the recipient (`age1sopstest1…`) and the identity (`AGE-PLUGIN-SOPSTEST-1…`, secret)
 */
export function sopstestKeyPair(mode: SopstestMode = "normal"): { recipient: string; identity: string } {
  const m = SOPSTEST_MODES.indexOf(mode)
  // Encoded by the generation itself: a later KeyObject.export can deadlock Node 20 (see
  // age's x25519-recipient.ts).
  const generate = generateKeyPairSync as unknown as (type: "x25519", o: { privateKeyEncoding: { format: "jwk" } }) => { privateKey: JsonWebKey }
  const jwk = generate("x25519", { privateKeyEncoding: { format: "jwk" } }).privateKey
  const scalar = Buffer.from(jwk.d!, "base64url")
  const pub = Buffer.from(jwk.x!, "base64url")
  return {
    recipient: encodePluginRecipient("sopstest", Uint8Array.from([m, ...pub])),
    identity: encodePluginIdentity("sopstest", Uint8Array.from([m, ...scalar])),
  }
}

/** The same key pair in another mode (same X25519 keys, so stanzas stay interchangeable). */
export function withSopstestMode(key: string, mode: SopstestMode): string {
  const upper = key.startsWith("AGE-PLUGIN-")
  const t = key.toLowerCase()
  const sep = t.lastIndexOf("1")
  const words = [...t.slice(sep + 1, -6)].map((c) => CHARSET.indexOf(c))
  const bytes: number[] = []
  let acc = 0
  let bits = 0
  for (const w of words) {
    acc = (acc << 5) | w
    bits += 5
    if (bits >= 8) {
      bits -= 8
      bytes.push((acc >> bits) & 0xff)
    }
    acc &= (1 << bits) - 1
  }
  bytes[0] = SOPSTEST_MODES.indexOf(mode)
  const out = bech32Encode(t.slice(0, sep), Uint8Array.from(bytes))
  return upper ? out.toUpperCase() : out
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/**
 * Writes `age-plugin-sopstest` to a new temporary directory: `bin/age-plugin-sopstest` (a
 * `/bin/sh` script running this Node.js on `lib/age-plugin-sopstest.mjs`).
 * @example
 * ```ts
 * const plugin = installSopstestPlugin()
 * process.env.PATH = plugin.pathWith()
 * ```
 */
export function installSopstestPlugin(): InstalledAgePlugin {
  const root = mkdtempSync(join(tmpdir(), "sops-ts-age-plugin-"))
  const binDir = join(root, "bin")
  const libDir = join(root, "lib")
  mkdirSync(binDir)
  mkdirSync(libDir)
  const program = join(libDir, "age-plugin-sopstest.mjs")
  writeFileSync(program, SOPSTEST_PLUGIN_PROGRAM)
  const bin = join(binDir, "age-plugin-sopstest")
  writeFileSync(bin, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(program)} "$@"\n`)
  chmodSync(bin, 0o755)
  return {
    binDir,
    pathWith: (basePath = process.env["PATH"] ?? "") => (basePath === "" ? binDir : `${binDir}${delimiter}${basePath}`),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  }
}
