import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { Ajv } from "ajv"
import addFormatsModule from "ajv-formats"
import { beforeAll, describe, expect, it } from "vitest"
import { ageKeyService } from "@sops-ts/age"
import { REPO_ROOT } from "@sops-ts/testkit"
import { runAudit, runAuditCommand, renderSarif, renderTable, type AuditReport, type Finding, type FindingKind } from "../src/index.js"
import { buildFixture, gitIn, put, type Fixture } from "./fixture.js"

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

let fx: Fixture
let report: AuditReport

function findingsOf(kind: FindingKind, file?: string): Finding[] {
  return report.findings.filter((f) => f.kind === kind && (file === undefined || f.file === file))
}

function io(cwd: string, extra: Partial<Parameters<typeof runAuditCommand>[1]> = {}) {
  const out: string[] = []
  const err: string[] = []
  return {
    out,
    err,
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {}, cwd, isTTY: false, ...extra },
  }
}

beforeAll(async () => {
  fx = await buildFixture()
  gitIn(fx.root, "init", "-q")
  report = await runAudit({ root: fx.root, now: fx.now })
})

describe("inventory and policy findings", () => {
  // [kind, file, exact fix command (with {A} for recipient A), message fragment]
  const expected: [FindingKind, string, string, string][] = [
    ["plaintext-k8s-secret", "clusters/prod/secrets/plain.yaml", "sops --encrypt --in-place clusters/prod/secrets/plain.yaml", 'Secret "plain"'],
    ["plaintext-k8s-secret", "apps/podinfo/secret.yaml", "sops --encrypt --age {A} --encrypted-regex '^(data|stringData)$' --in-place apps/podinfo/secret.yaml", 'Secret "podinfo"'],
    ["plaintext-sops-secret", "apps/podinfo/sopssecret.yaml", "sops --encrypt --age {A} --in-place apps/podinfo/sopssecret.yaml", "SopsSecret"],
    ["plaintext-secret-generator", "apps/podinfo/creds.env", "sops --encrypt --age {A} --in-place apps/podinfo/creds.env", "secretGenerator"],
    ["plaintext-secret-generator", "apps/podinfo/certs/tls.key", "sops --encrypt --age {A} --in-place apps/podinfo/certs/tls.key", "secretGenerator"],
    ["plaintext-helm-secrets", "apps/podinfo/helm/secrets.yaml", "sops --encrypt --age {A} --in-place apps/podinfo/helm/secrets.yaml", "Helm secrets"],
    ["plaintext-high-entropy", "apps/podinfo/release.yaml", "sops --encrypt --age {A} --in-place apps/podinfo/release.yaml", '["apiToken"]'],
    ["plaintext-rule-match", "apps/podinfo/settings.enc.yaml", "sops --encrypt --in-place apps/podinfo/settings.enc.yaml", "creation_rules[1]"],
    ["cleartext-secret-value", "apps/podinfo/maconly.enc.yaml", "sops edit apps/podinfo/maconly.enc.yaml", '["db_password_unencrypted"]'],
    ["key-drift", "apps/podinfo/drift.enc.yaml", "sops updatekeys --yes apps/podinfo/drift.enc.yaml", "1 to add, 0 to remove"],
    ["key-drift", "apps/podinfo/revoked.enc.yaml", "sops updatekeys --yes apps/podinfo/revoked.enc.yaml", "0 to add, 1 to remove"],
    ["stale-data-key", "apps/podinfo/stale.enc.json", "sops rotate --in-place apps/podinfo/stale.enc.json", "200 days old"],
    ["stale-data-key", "apps/legacy/legacy.enc.yaml", "sops rotate --in-place apps/legacy/legacy.enc.yaml", "at most 90"],
    ["missing-required-key", "apps/legacy/legacy.enc.yaml", "sops rotate --in-place --add-age {A} apps/legacy/legacy.enc.yaml", "required key"],
    ["forbidden-key", "apps/podinfo/revoked.enc.yaml", "sops rotate --in-place --rm-age {R} apps/podinfo/revoked.enc.yaml", "forbids"],
    ["forbidden-key", "apps/legacy/legacy.enc.yaml", "sops rotate --in-place --rm-pgp {PGP} apps/legacy/legacy.enc.yaml", "pgp {PGP}"],
    ["old-sops-version", "apps/legacy/legacy.enc.yaml", "sops --decrypt --in-place apps/legacy/legacy.enc.yaml && sops --encrypt --in-place apps/legacy/legacy.enc.yaml", "3.5.0"],
    ["missing-mac", "apps/legacy/legacy.enc.yaml", "sops rotate --in-place --ignore-mac apps/legacy/legacy.enc.yaml", "no MAC"],
    ["mac-only-encrypted", "apps/podinfo/maconly.enc.yaml", "sops --decrypt --in-place apps/podinfo/maconly.enc.yaml && sops --encrypt --in-place apps/podinfo/maconly.enc.yaml", "mac_only_encrypted"],
    ["path-not-allowed", "outside/stray.enc.yaml", "git mv outside/stray.enc.yaml <allowed-path>/", "outside the paths"],
    ["unparseable", "apps/podinfo/garbage.enc.json", "git restore --source=HEAD -- apps/podinfo/garbage.enc.json", "json"],
    ["malformed-value", "apps/podinfo/broken.enc.yaml", "git restore --source=HEAD -- apps/podinfo/broken.enc.yaml", '["a"]'],
    ["metadata-missing", "apps/podinfo/lost-meta.yaml", "git restore --source=HEAD -- apps/podinfo/lost-meta.yaml", "no sops metadata"],
    ["metadata-invalid", "apps/podinfo/invalid-meta.enc.yaml", "git restore --source=HEAD -- apps/podinfo/invalid-meta.enc.yaml", "lastmodified"],
  ]
  const sub = (s: string): string => s.replaceAll("{A}", fx.keys.A.recipient).replaceAll("{R}", fx.keys.R.recipient).replaceAll("{PGP}", fx.weakPgpFp)
  it.each(expected)("%s in %s", (kind, file, command, fragment) => {
    const found = findingsOf(kind, file)
    expect(found, JSON.stringify(report.findings.filter((f) => f.file === file).map((f) => f.kind))).toHaveLength(1)
    expect(found[0]!.fix.command).toBe(sub(command))
    expect(found[0]!.message).toContain(sub(fragment))
  })

  it("reports both weak RSA keys (PGP from .sops.pub.asc, ssh-rsa age recipient)", () => {
    const weak = findingsOf("weak-rsa-key", "apps/legacy/legacy.enc.yaml")
    expect(weak.map((f) => f.details?.["bits"])).toEqual([1024, 1024])
    expect(weak.map((f) => f.fix.command).sort()).toEqual(
      [`sops rotate --in-place --rm-pgp ${fx.weakPgpFp} apps/legacy/legacy.enc.yaml`, `sops rotate --in-place --rm-age '${fx.weakSshRecipient}' apps/legacy/legacy.enc.yaml`].sort(),
    )
  })

  it("raises nothing on correctly encrypted, current files and plain manifests", () => {
    for (const f of ["clusters/prod/secrets/db.yaml", "apps/podinfo/good.enc.yaml", "apps/podinfo/deployment.yaml", "clusters/prod/apps.yaml", "README.md", ".sops.pub.asc"]) {
      expect(report.findings.filter((x) => x.file === f), f).toEqual([])
    }
  })

  it("honours .gitignore and the policy's ignore_paths", () => {
    const touched = new Set([...report.files.map((f) => f.path), ...report.findings.map((f) => f.file)])
    expect(touched.has(".env.local")).toBe(false)
    expect(touched.has("build/leftover.yaml")).toBe(false)
    expect(touched.has("vendor/chart/secret.yaml")).toBe(false)
  })

  it("inventories encrypted files without any key", () => {
    const db = report.files.find((f) => f.path === "clusters/prod/secrets/db.yaml")!
    expect(db.class).toBe("encrypted")
    expect(db.creationRule).toBe(0)
    expect(db.encrypted).toMatchObject({
      format: "yaml",
      sopsVersion: "3.13.2",
      keyGroups: [[{ type: "age", id: fx.keys.A.recipient }]],
      threshold: 1,
      dataKeyAgeDays: 10,
      selection: { encrypted_regex: "^(data|stringData)$" },
      macPresent: true,
      encryptedValues: 2,
    })
    const legacy = report.files.find((f) => f.path === "apps/legacy/legacy.enc.yaml")!.encrypted!
    expect(legacy.keyGroups[0]!.map((k) => k.type)).toEqual(["kms", "pgp", "age"])
    expect(legacy.keyGroups[0]![0]).toMatchObject({ id: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", createdAt: "2021-01-10T10:00:00Z" })
    expect(legacy.macPresent).toBe(false)
    expect(report.summary).toMatchObject({ encrypted: 10, broken: 3 })
  })

  it("never puts a plaintext value into a finding", () => {
    const text = JSON.stringify(report)
    for (const secret of ["hunter2-hunter2", "p0dinf0-pass", "Jd8s-PlainText-2kq", "9fK2xQ7vLm3RtZ8wYp4NcB6hJd1Sg5Ae", "7Gq!x2Lp9Zr4Tw8Vb3Nm"]) {
      expect(text).not.toContain(secret)
    }
  })

  it("uses sops_command from the policy in fix commands", async () => {
    const r = await runAudit({ root: fx.root, now: fx.now, policy: { ...(await import("../src/policy.js")).DEFAULT_POLICY, sopsCommand: "sops-ts" } })
    expect(r.findings.find((f) => f.kind === "key-drift")!.fix.command).toMatch(/^sops-ts updatekeys --yes /)
  })
})

describe("outputs", () => {
  it("JSON output matches the documented schema", () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, "docs/audit-json-schema.json"), "utf8")) as object
    const ajv = addFormats(new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }))
    const validate = ajv.compile(schema)
    const ok = validate(JSON.parse(JSON.stringify(report)))
    expect(validate.errors ?? []).toEqual([])
    expect(ok).toBe(true)
  })

  it("SARIF output validates against the SARIF 2.1.0 schema", () => {
    const raw = JSON.parse(readFileSync(resolve(REPO_ROOT, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8")) as Record<string, unknown>
    // The schema is draft-04 (`id`); Ajv 8 reads it as draft-07 once the identifiers are renamed.
    const { $schema: _s, id, ...rest } = raw
    const ajv = addFormats(new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }))
    const validate = ajv.compile({ ...rest, $id: id as string })
    const sarif = JSON.parse(renderSarif(report)) as { runs: { results: { ruleId: string; level: string; properties: { fixCommand: string } }[] }[] }
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
    const results = sarif.runs[0]!.results
    expect(results).toHaveLength(report.findings.length)
    const k8s = results.find((r) => r.ruleId === "plaintext-k8s-secret")!
    expect(k8s.level).toBe("error")
    expect(k8s.properties.fixCommand).toContain("sops --encrypt")
  })

  it("table output lists findings with their fix, colour only when asked", () => {
    const plain = renderTable(report)
    expect(plain).toContain("CRITICAL  plaintext-k8s-secret  apps/podinfo/secret.yaml")
    expect(plain).toContain("fix: sops updatekeys --yes apps/podinfo/drift.enc.yaml")
    expect(plain).not.toContain("\x1b[")
    expect(renderTable(report, { colour: true })).toContain("\x1b[1;31mCRITICAL")
  })
})

describe("runAuditCommand", () => {
  it("exits 1 on findings at or above --fail-on, 0 below, and writes JSON", async () => {
    const a = io(fx.root)
    expect(await runAuditCommand(["--format", "json"], a.io)).toBe(1)
    const parsed = JSON.parse(a.out.join("")) as AuditReport
    expect(parsed.schemaVersion).toBe(1)
    const clean = await buildFixtureClean()
    const b = io(clean)
    expect(await runAuditCommand([], b.io)).toBe(0)
    expect(b.out.join("")).toContain("no findings")
  })

  it("--fail-on decides the exit code", async () => {
    const dir = await buildFixtureClean()
    put(dir, "apps/x/old.enc.json", readFileSync(join(fx.root, "apps/podinfo/stale.enc.json")))
    put(dir, ".sops-audit.yaml", "max_data_key_age_days: 1\n")
    // stale-data-key is medium: fails with --fail-on medium only.
    expect(await runAuditCommand(["--fail-on", "high"], io(dir).io)).toBe(0)
    expect(await runAuditCommand(["--fail-on", "medium"], io(dir).io)).toBe(1)
  })

  it("rejects bad flags with exit 2 and a usage message", async () => {
    const a = io(fx.root)
    expect(await runAuditCommand(["--format", "xml"], a.io)).toBe(2)
    expect(a.err.join("")).toContain("--format must be one of")
    const b = io(fx.root)
    expect(await runAuditCommand(["--bogus"], b.io)).toBe(2)
    expect(b.err.join("")).toContain("usage: sops-ts audit")
  })

  it("reports an invalid policy as an error, not a crash", async () => {
    const dir = await buildFixtureClean()
    put(dir, ".sops-audit.yaml", "max_data_key_age_days: soon\n")
    const a = io(dir)
    expect(await runAuditCommand([], a.io)).toBe(2)
    expect(a.err.join("")).toContain("max_data_key_age_days must be a non-negative number (ERR_CONFIG)")
    put(dir, ".sops-audit.yaml", "max_age: 3\n")
    const b = io(dir)
    expect(await runAuditCommand([], b.io)).toBe(2)
    expect(b.err.join("")).toContain("max_age is not a policy field")
  })

  it("--output writes the report to a file", async () => {
    const a = io(fx.root)
    await runAuditCommand(["--format", "sarif", "--output", "report.sarif"], a.io)
    expect(JSON.parse(readFileSync(join(fx.root, "report.sarif"), "utf8")).version).toBe("2.1.0")
  })
})

describe("--verify", () => {
  it("decrypts with the given keys and reports MAC and decryption failures", async () => {
    const r = await runAudit({ root: fx.root, now: fx.now, verify: true, keyServices: [ageKeyService({ identities: [fx.keys.A.identity] })] })
    const byPath = new Map(r.verify!.map((v) => [v.path, v]))
    expect(byPath.get("clusters/prod/secrets/db.yaml")).toEqual({ path: "clusters/prod/secrets/db.yaml", ok: true, keyUsed: `age ${fx.keys.A.recipient}` })
    expect(byPath.get("apps/podinfo/good.enc.yaml")!.ok).toBe(true)
    const tampered = r.findings.filter((f) => f.file === "apps/podinfo/tampered.enc.yaml")
    expect(tampered.map((f) => f.kind)).toEqual(["verify-failed"])
    expect(tampered[0]!.fix.command).toBe("git restore --source=HEAD -- apps/podinfo/tampered.enc.yaml")
    const legacy = r.findings.find((f) => f.file === "apps/legacy/legacy.enc.yaml" && f.kind === "verify-no-key")!
    expect(legacy.fix.command).toBe("sops --decrypt apps/legacy/legacy.enc.yaml > /dev/null")
    expect(r.findings.some((f) => f.kind === "verify-failed" && f.file === "apps/podinfo/broken.enc.yaml")).toBe(true)
  })
})

/** A tiny repository with one correctly encrypted file and a policy, as a git repo. */
async function buildFixtureClean(): Promise<string> {
  const { mkdtempSync } = await import("node:fs")
  const { tmpdir } = await import("node:os")
  const dir = mkdtempSync(join(tmpdir(), "sops-audit-clean-"))
  put(dir, ".sops.yaml", `creation_rules:\n  - path_regex: \\.enc\\.(ya?ml|json)$\n    age: ${fx.keys.A.recipient},${fx.keys.B.recipient}\n`)
  put(dir, "apps/x/ok.enc.yaml", readFileSync(join(fx.root, "apps/podinfo/good.enc.yaml")))
  put(dir, ".sops-audit.yaml", "max_data_key_age_days: 36500\n")
  gitIn(dir, "init", "-q")
  return dir
}
