import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { generateAgeIdentity } from "@sops-ts/age"
import { runAudit, runAuditCommand, type AuditReport } from "../src/index.js"
import { encryptAge, gitIn, put } from "./fixture.js"

function sink() {
  const out: string[] = []
  return { out, w: { write: (s: string) => out.push(s) } }
}

describe("--staged", () => {
  it("checks only what is staged, reading the index rather than the work tree", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sops-audit-staged-"))
    const A = await generateAgeIdentity()
    put(dir, ".sops.yaml", `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: ${A.recipient}\n`)
    put(dir, "apps/old-plain.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: old\nstringData:\n  password: committed-long-ago\n")
    gitIn(dir, "init", "-q")
    gitIn(dir, "add", "-A")
    gitIn(dir, "commit", "-q", "-m", "initial")
    // Staged: a plaintext secret. Then the work tree copy is encrypted but not re-staged.
    put(dir, "secrets/db.yaml", "password: staged-in-clear\n")
    gitIn(dir, "add", "secrets/db.yaml")
    put(dir, "secrets/db.yaml", await encryptAge("password: staged-in-clear\n", "yaml", [A.recipient]))
    const out = sink()
    const code = await runAuditCommand(["--staged", "--format", "json"], { stdout: out.w, stderr: sink().w, env: {}, cwd: dir, isTTY: false })
    const report = JSON.parse(out.out.join("")) as AuditReport
    expect(report.source).toBe("staged")
    expect(report.findings.map((f) => [f.kind, f.file])).toEqual([["plaintext-rule-match", "secrets/db.yaml"]])
    expect(code).toBe(1)
    // After staging the encrypted copy the hook passes.
    gitIn(dir, "add", "secrets/db.yaml")
    expect(await runAuditCommand(["--staged"], { stdout: sink().w, stderr: sink().w, env: {}, cwd: dir, isTTY: false })).toBe(0)
  })
})

describe("--history", () => {
  it("finds plaintext commits, the last data-key rotation and key changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sops-audit-history-"))
    const A = await generateAgeIdentity()
    const B = await generateAgeIdentity()
    put(dir, ".sops.yaml", `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${A.recipient},${B.recipient}\n`)
    gitIn(dir, "init", "-q")
    const commit = (msg: string): string => {
      gitIn(dir, "add", "-A")
      gitIn(dir, "commit", "-q", "-m", msg)
      return gitIn(dir, "rev-parse", "HEAD").trim()
    }
    put(dir, "apps/app.enc.yaml", "password: leaked-in-clear\n")
    const c1 = commit("oops, plaintext")
    put(dir, "apps/app.enc.yaml", await encryptAge("password: leaked-in-clear\n", "yaml", [A.recipient]))
    const c2 = commit("encrypt")
    put(dir, "apps/app.enc.yaml", await encryptAge("password: rotated\n", "yaml", [A.recipient, B.recipient]))
    const c3 = commit("rotate, add B")
    // An edit that keeps the data key: one value re-encrypted, the other untouched.
    const before = (await import("node:fs")).readFileSync(join(dir, "apps/app.enc.yaml"), "utf8")
    put(dir, "apps/app.enc.yaml", before.replace(/^sops:/m, "note_unencrypted: hello\nsops:"))
    commit("edit")

    const report = await runAudit({ root: dir, history: true })
    const h = report.history!.find((x) => x.path === "apps/app.enc.yaml")!
    expect(h.plaintextCommits.map((c) => c.commit)).toEqual([c1])
    expect(h.lastRotation?.commit).toBe(c3)
    expect(h.keyChanges.map((k) => [k.commit, k.added.length, k.removed.length])).toEqual([
      [c2, 1, 0],
      [c3, 1, 0],
    ])
    expect(h.keyChanges[1]!.added).toEqual([`age ${B.recipient}`])
    const leak = report.findings.filter((f) => f.kind === "plaintext-in-history")
    expect(leak).toHaveLength(1)
    expect(leak[0]).toMatchObject({ file: "apps/app.enc.yaml", severity: "critical", fix: { command: "git filter-repo --invert-paths --path apps/app.enc.yaml" } })
    expect(leak[0]!.message).toContain(c1.slice(0, 12))
  })
})
