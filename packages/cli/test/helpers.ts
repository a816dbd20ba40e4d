/**
 * Test helpers: a fake {@link CliIo}, temp directories, an age key pair.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { generateAgeIdentity } from "@sops-ts/age"
import { main } from "../src/main.js"
import type { CliIo } from "../src/io.js"
import type { Importer } from "../src/providers.js"

/** What one in-process run produced. */
export interface RunResult {
  readonly code: number
  readonly stdout: Uint8Array
  readonly stderr: string
  /** stdout as text */
  readonly out: string
}

/** Options of {@link run}. */
export interface RunOptions {
  readonly env?: Record<string, string | undefined>
  readonly cwd: string
  readonly stdin?: Uint8Array | string
  readonly importer?: Importer
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** Runs `main` with fake streams. The environment holds only what is passed (plus PATH). */
export async function run(argv: string[], opts: RunOptions): Promise<RunResult> {
  const out: Uint8Array[] = []
  const err: Uint8Array[] = []
  const enc = new TextEncoder()
  const toBytes = (c: Uint8Array | string): Uint8Array => (typeof c === "string" ? enc.encode(c) : new Uint8Array(c))
  const input = opts.stdin === undefined ? new Uint8Array() : toBytes(opts.stdin)
  const io: CliIo = {
    stdin: (async function* () {
      if (input.length > 0) yield input
    })(),
    stdout: { write: (c) => out.push(toBytes(c)) },
    stderr: { write: (c) => err.push(toBytes(c)) },
    env: { PATH: process.env["PATH"], HOME: opts.cwd, ...opts.env },
    cwd: opts.cwd,
  }
  const code = await main(argv, io, opts.importer ? { importer: opts.importer } : {})
  const stdout = concat(out)
  return { code, stdout, stderr: new TextDecoder().decode(concat(err)), out: new TextDecoder().decode(stdout) }
}

/** A temp directory removed by the returned function. */
export function tempDir(prefix = "sops-ts-cli-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A fresh age key pair. */
export async function ageKeyPair(): Promise<{ identity: string; recipient: string }> {
  return generateAgeIdentity()
}
