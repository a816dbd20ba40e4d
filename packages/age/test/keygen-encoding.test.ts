/**
 * Node 20 can hang for good when a key made by `generateKeyPair(Sync)` is exported later with
 * `KeyObject.export`: the export holds the key's lock while it allocates, and when that
 * allocation runs a garbage collection that finalises the finished key-generation job, the
 * job's destructor waits for the same lock on the same thread. age's X25519 wrap did exactly
 * this once per file key; a bulk run hung about once in 10^5 wraps (seen under `gdb`:
 * `~KeyGenJob` → `uv_mutex_lock` inside `ExportJWKEdKey`).
 *
 * The hang depends on where a collection falls, so no test can provoke it on demand. This
 * one holds the whole repository to the rule that avoids it: every key generation asks for
 * the encodings it needs (`publicKeyEncoding` / `privateKeyEncoding`), so nothing is exported
 * after the job is gone; and the age wrap still produces a share that is its key's public half.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { generateAgeIdentity } from "@sops-ts/age"
import { NodeX25519Recipient, x25519RecipientBytes } from "../src/internal/x25519-recipient.js"
import { NodeX25519Identity, x25519IdentityScalar } from "../src/internal/x25519-identity.js"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue
    const p = join(dir, e.name)
    if (e.isDirectory()) sources(p, out)
    else if (/\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p)
  }
  return out
}

/** The argument text of every `generateKeyPair(` / `generateKeyPairSync(` call in `text`. */
function keygenCalls(text: string): string[] {
  const calls: string[] = []
  for (const m of text.matchAll(/\bgenerateKeyPair(?:Sync)?\(/g)) {
    let depth = 1
    let i = m.index + m[0].length
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === "(") depth++
      else if (text[i] === ")") depth--
    }
    calls.push(text.slice(m.index, i))
  }
  return calls
}

describe("key generation never leaves a key to export afterwards", () => {
  it("every generateKeyPair(Sync) call in the repository asks for its encodings", () => {
    const offenders: string[] = []
    let seen = 0
    for (const top of ["packages", "bench", "examples", "tools"]) {
      for (const file of sources(join(repoRoot, top))) {
        if (file === fileURLToPath(import.meta.url)) continue // this file names the calls in its text
        for (const call of keygenCalls(readFileSync(file, "utf8"))) {
          seen++
          if (!/(public|private)KeyEncoding/.test(call)) offenders.push(`${relative(repoRoot, file)}: ${call.split("\n")[0]}`)
        }
      }
    }
    expect(offenders).toEqual([])
    // The scan found the calls it guards (age's wrap, the test emulators), so it still looks
    // in the right places.
    expect(seen).toBeGreaterThanOrEqual(5)
  })

  it("the X25519 wrap still opens with the identity, for many fresh ephemeral keys", async () => {
    const { identity, recipient } = await generateAgeIdentity()
    const wrap = new NodeX25519Recipient(x25519RecipientBytes(recipient))
    const unwrap = new NodeX25519Identity(x25519IdentityScalar(identity))
    const shares = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const fileKey = new Uint8Array(16).fill(i)
      const stanzas = wrap.wrapFileKey(fileKey)
      shares.add(stanzas[0]!.args[1]!)
      // A share that is not the ephemeral key's public half would derive another key and fail.
      expect(unwrap.unwrapFileKey(stanzas)).toEqual(fileKey)
    }
    expect(shares.size).toBe(50)
  })
})
