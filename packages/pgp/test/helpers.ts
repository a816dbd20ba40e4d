/**
 * Shared test helpers: the conformance corpus (read in place), enc extraction, and throw-away
 * GnuPG homes.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
/** The shared conformance corpus, outside the repository. */
export const conformanceDir = resolve(repoRoot, "../shared/conformance")
export const hasConformance = existsSync(join(conformanceDir, "manifest.json"))
if (!hasConformance) console.warn(`[skipped] PGP conformance vectors: ${conformanceDir} is missing`)

/** sops' current functional-test keyring (keys 1 and 2 secret, key 3 public only). */
export const FUNCTIONAL_KEYS = "getsops-sops/pgp/sops_functional_tests_key.asc"
/** The functional-test keyring of 2015-2019 (used by old files, including the text-mode ones). */
export const OLD_FUNCTIONAL_KEYS = "getsops-sops/history/be4a35e7f5c4/pgp/sops_functional_tests_key.asc"
export const KEY1_FP = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"
export const KEY1_ENC_SUBKEY_FP = "71D962851765394F76DB9CFC25294A17CD90507F"
export const KEY2_FP = "D7229043384BCC60326C6FB9D8720D957C3D3074"
/** Key 3 of the functional-test keyring: its public key is there, its secret key is not. */
export const KEY3_PUBLIC_ONLY_FP = "B611A2F9F11D0FF82568805119F9B5DAEA91FF86"

/** Absolute path of a corpus file. */
export function corpusPath(rel: string): string {
  return join(conformanceDir, rel)
}

interface DataKeyCheck {
  readonly type: string
  readonly fp: string
  readonly identity: string | null
  readonly verified: boolean
  readonly pgp_literal_mode?: string
}

/** One PGP stanza of a conformance vector. */
export interface PgpStanza {
  readonly file: string
  readonly index: number
  readonly fp: string
  readonly enc: string
  /** The key file that opens it, or null when nobody has the secret key. */
  readonly identity: string | null
  readonly literalMode: string | undefined
}

const ARMORED = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/g

/**
 * Pulls every armoured `enc` out of a sops file of any format. The corpus builder checked that
 * the blocks appear in the order of `data_key_checks`; a mismatch would make the tests fail.
 */
export function extractEncs(text: string): string[] {
  const unescaped = text.replace(/\\n/g, "\n").replace(/\\\//g, "/")
  return (unescaped.match(ARMORED) ?? []).map((block) =>
    block
      .split("\n")
      .map((l) => l.trim())
      .join("\n"),
  )
}

/** Every PGP stanza of every manifest vector that has PGP keys. */
export function pgpStanzas(): PgpStanza[] {
  if (!hasConformance) return []
  const manifest = JSON.parse(readFileSync(corpusPath("manifest.json"), "utf8")) as {
    file: string
    keys: string[]
    data_key_checks: DataKeyCheck[]
  }[]
  const stanzas: PgpStanza[] = []
  for (const vector of manifest) {
    if (!vector.keys.includes("pgp")) continue
    const checks = vector.data_key_checks.filter((c) => c.type === "pgp")
    const encs = extractEncs(readFileSync(corpusPath(vector.file), "utf8"))
    if (encs.length !== checks.length) {
      throw new Error(`${vector.file}: ${encs.length} PGP messages but ${checks.length} pgp data_key_checks`)
    }
    checks.forEach((check, index) =>
      stanzas.push({
        file: vector.file,
        index,
        fp: check.fp,
        enc: encs[index] ?? "",
        identity: check.verified ? check.identity : null,
        literalMode: check.pgp_literal_mode,
      }),
    )
  }
  return stanzas
}

/** A throw-away GnuPG home under the OS temp dir, never the user's. */
export interface TempGnupgHome {
  readonly dir: string
  /** Environment for a gpg child: the user's, with GNUPGHOME pointing here. */
  readonly env: Record<string, string | undefined>
  gpg(args: readonly string[], input?: string | Uint8Array): Buffer
  /** Stops the gpg-agent this home started and deletes the directory. */
  dispose(): void
}

/** Creates a GnuPG home whose agent never prompts (pinentry is `false`). */
export function createGnupgHome(): TempGnupgHome {
  const dir = mkdtempSync(join(tmpdir(), "sops-ts-pgp-"))
  // A test must never pop up a pinentry on a developer's desktop or block on a TTY.
  writeFileSync(join(dir, "gpg-agent.conf"), "pinentry-program /bin/false\n")
  const env = { ...process.env, GNUPGHOME: dir }
  return {
    dir,
    env,
    gpg(args, input) {
      return execFileSync("gpg", ["--homedir", dir, "--batch", ...args], {
        input: input ?? "",
        env,
        stdio: ["pipe", "pipe", "pipe"],
      })
    },
    dispose() {
      try {
        execFileSync("gpgconf", ["--homedir", dir, "--kill", "all"], { stdio: "ignore", env })
      } catch {
        // gpgconf missing or nothing running: nothing to stop.
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Deterministic test bytes with the given content. */
export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

/** A 32-byte "data key" containing CR LF pairs, the bytes gpg's text mode rewrites. */
export function dataKeyWithCrLf(): Uint8Array {
  const key = new Uint8Array(32)
  for (let i = 0; i < 32; i++) key[i] = (i * 37 + 11) & 0xff
  key[5] = 0x0d
  key[6] = 0x0a
  key[20] = 0x0d
  key[21] = 0x0a
  return key
}
