import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import ts from "typescript"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { decrypt } from "@sops-ts/core"
import { describeWithTool, startTempPostgres, type TempPostgres } from "@sops-ts/testkit"
import { PgConnection, jsonlSink, postgresSink, prometheusSink, readEventLog, sinksFromSopsAuditConfig, startEventLog, type EventSink } from "../src/index.js"
import { encryptAge } from "./fixture.js"

const SECRET = "value-that-must-never-be-logged"
let A: { identity: string; recipient: string }
let encrypted: Uint8Array

beforeAll(async () => {
  A = await generateAgeIdentity()
  encrypted = await encryptAge(`password: ${SECRET}\n`, "yaml", [A.recipient])
})

function decryptMany(n: number, keys = [ageKeyService({ identities: [A.identity] })]): Promise<PromiseSettledResult<Uint8Array>[]> {
  return Promise.allSettled(Array.from({ length: n }, (_, i) => decrypt(encrypted, { format: "yaml", fileName: `/repo/secret-${i}.enc.yaml`, keyServices: keys })))
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "sops-audit-events-"))
}

describe("JSONL sink", () => {
  it("records every one of 100 concurrent decrypts, one line each, without values", async () => {
    const path = join(tmp(), "events.jsonl")
    const log = startEventLog([jsonlSink({ path })])
    const results = await decryptMany(100)
    await log.close()
    expect(results.every((r) => r.status === "fulfilled")).toBe(true)
    const { events, tornLines } = readEventLog(path)
    expect(tornLines).toBe(0)
    expect(events).toHaveLength(100)
    expect(new Set(events.map((e) => e.file)).size).toBe(100)
    expect(events[0]).toMatchObject({ operation: "decrypt", format: "yaml", outcome: "success", keyUsed: `age ${A.recipient}`, keysTried: [`age ${A.recipient}`] })
    expect(typeof events[0]!.durationMs).toBe("number")
    expect(events[0]!.user).not.toBe("")
    expect(readFileSync(path, "utf8")).not.toContain(SECRET)
  })

  it("records failures with their error code", async () => {
    const path = join(tmp(), "events.jsonl")
    const other = await generateAgeIdentity()
    const log = startEventLog([jsonlSink({ path })])
    await decryptMany(1, [ageKeyService({ identities: [other.identity] })])
    await log.close()
    const [e] = readEventLog(path).events
    expect(e).toMatchObject({ outcome: "failure", errorCode: "ERR_NO_DATA_KEY", keyUsed: null })
  })

  it("rotates by size and keeps every event across the rotated files", async () => {
    const dir = tmp()
    const path = join(dir, "events.jsonl")
    const log = startEventLog([jsonlSink({ path, maxBytes: 2000, maxFiles: 50 })])
    await decryptMany(30)
    await log.close()
    expect(existsSync(`${path}.1`)).toBe(true)
    let total = 0
    for (const p of [path, ...Array.from({ length: 50 }, (_, i) => `${path}.${i + 1}`)]) {
      if (!existsSync(p)) continue
      expect(readFileSync(p).length).toBeLessThanOrEqual(2000)
      total += readEventLog(p).events.length
    }
    expect(total).toBe(30)
  })

  it("a crash mid-write leaves every earlier line intact", async () => {
    const dir = tmp()
    const path = join(dir, "events.jsonl")
    // Run the real sink in a child process (transpiled: it has no runtime imports besides node:)
    // and kill it with SIGKILL while it is writing as fast as it can.
    const src = readFileSync(new URL("../src/events/jsonl-sink.ts", import.meta.url), "utf8")
    const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } }).outputText
    writeFileSync(join(dir, "sink.mjs"), js)
    writeFileSync(
      join(dir, "writer.mjs"),
      `import { jsonlSink } from "./sink.mjs"
const sink = jsonlSink({ path: ${JSON.stringify(path)}, maxBytes: 0 })
const pad = "x".repeat(3000)
for (let i = 0; ; i++) { sink.write({ time: new Date().toISOString(), operation: "decrypt", file: "/f" + i, format: "yaml", outcome: "success", durationMs: i, keysTried: [pad], keyUsed: null, user: "u", host: "h" }); if (i === 20) process.stdout.write("go\\n") }
`,
    )
    const child = spawn(process.execPath, [join(dir, "writer.mjs")], { stdio: ["ignore", "pipe", "inherit"] })
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    await new Promise((r) => setTimeout(r, 150))
    child.kill("SIGKILL")
    await new Promise((r) => child.once("exit", r))
    // Simulate the worst case too: a record cut in the middle of its bytes.
    appendFileSync(path, '{"time":"2026-01-01T00:00:00Z","operation":"decr')
    const before = readEventLog(path)
    expect(before.events.length).toBeGreaterThan(20)
    expect(before.events.map((e) => Number(e.durationMs))).toEqual(before.events.map((_, i) => i))
    expect(before.tornLines).toBe(1)
    // A restarted sink closes the torn line instead of gluing the next record to it.
    const log = startEventLog([jsonlSink({ path, maxBytes: 0 })])
    await decryptMany(2)
    await log.close()
    const after = readEventLog(path)
    expect(after.events).toHaveLength(before.events.length + 2)
    expect(after.tornLines).toBe(1)
  })
})

describe("sink failures", () => {
  it("never break a decrypt, and are reported once per sink", async () => {
    const warnings: string[] = []
    const throwing: EventSink = {
      name: "throwing",
      write() {
        throw new Error("disk full")
      },
      async close() {},
    }
    const rejecting = postgresSink({ connectionString: "postgres://nobody:x@127.0.0.1:1/none?sslmode=disable" })
    const log = startEventLog([throwing, rejecting], { warn: (m) => warnings.push(m) })
    const results = await decryptMany(5)
    await log.close()
    expect(results.every((r) => r.status === "fulfilled")).toBe(true)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toContain("audit sink throwing failed")
    expect(warnings[1]).toContain("audit sink postgres failed")
  })
})

describe("Prometheus metrics", () => {
  it("counts operations, failures and latency per provider", async () => {
    const metrics = prometheusSink()
    const log = startEventLog([metrics])
    await decryptMany(3)
    const other = await generateAgeIdentity()
    await decryptMany(2, [ageKeyService({ identities: [other.identity] })])
    await log.close()
    const text = metrics.render()
    expect(text).toContain('sops_operations_total{operation="decrypt",provider="age",outcome="success"} 3')
    expect(text).toContain('sops_operations_total{operation="decrypt",provider="age",outcome="failure"} 2')
    expect(text).toContain('sops_operation_failures_total{operation="decrypt",provider="age",code="ERR_NO_DATA_KEY"} 2')
    expect(text).toContain('sops_operation_duration_seconds_count{operation="decrypt",provider="age"} 5')
    expect(text).toMatch(/sops_operation_duration_seconds_bucket\{operation="decrypt",provider="age",le="\+Inf"\} 5/)
    expect(text).toContain("# TYPE sops_operation_duration_seconds histogram")
    const file = join(tmp(), "sops.prom")
    await metrics.writeTextfile(file)
    expect(readFileSync(file, "utf8")).toBe(text)
  })
})

describe("sops audit.yaml layout", () => {
  it("builds one postgres sink per backend, none without the file", async () => {
    const dir = tmp()
    const p = join(dir, "audit.yaml")
    writeFileSync(p, "backends:\n  postgres:\n    - connection_string: postgres://sops:pw@db/sops?sslmode=disable\n    - connection_string: postgres://sops:pw@db2/sops\n")
    expect((await sinksFromSopsAuditConfig(p)).map((s) => s.name)).toEqual(["postgres", "postgres"])
    expect(await sinksFromSopsAuditConfig(join(dir, "missing.yaml"))).toEqual([])
    writeFileSync(p, "backends:\n  postgres:\n    - connection_string: 5\n")
    await expect(sinksFromSopsAuditConfig(p)).rejects.toMatchObject({ code: "ERR_CONFIG" })
  })
})

describeWithTool("psql", "PostgreSQL sink against a real server", () => {
  let pg: TempPostgres
  beforeAll(async () => {
    pg = await startTempPostgres()
  })
  afterAll(() => pg?.stop())

  it("creates sops' audit_event table on first use and loses no event under 100 concurrent decrypts", async () => {
    const log = startEventLog([postgresSink({ connectionString: pg.connectionString })], { warn: (m) => expect.fail(m) })
    await decryptMany(100)
    await log.close()
    const c = await PgConnection.connect(pg.connectionString)
    try {
      const [count] = await c.query("SELECT count(*) AS n, count(DISTINCT file) AS files FROM audit_event")
      expect(count).toEqual({ n: "100", files: "100" })
      const [row] = await c.query("SELECT action, username, file, outcome, key_used, keys_tried::text AS keys, host, timestamp IS NOT NULL AS ts FROM audit_event ORDER BY id LIMIT 1")
      expect(row).toMatchObject({ action: "decrypt", outcome: "success", key_used: `age ${A.recipient}`, keys: JSON.stringify([`age ${A.recipient}`]), ts: "t" })
      expect(row!["file"]).toMatch(/^\/repo\/secret-\d+\.enc\.yaml$/)
      // sops' own columns are there with sops' types, so sops can keep writing to the table.
      const cols = await c.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'audit_event' ORDER BY ordinal_position")
      expect(cols.slice(0, 5)).toEqual([
        { column_name: "id", data_type: "integer" },
        { column_name: "timestamp", data_type: "timestamp without time zone" },
        { column_name: "action", data_type: "text" },
        { column_name: "username", data_type: "text" },
        { column_name: "file", data_type: "text" },
      ])
      // A sops-style insert still works.
      await c.query("INSERT INTO audit_event (action, username, file) VALUES ($1, $2, $3)", ["encrypt", "sops", "/x"])
    } finally {
      await c.close()
    }
  })

  it("adds its columns to a table sops created", async () => {
    const c = await PgConnection.connect(pg.connectionString)
    await c.query("CREATE TABLE sops_made (id SERIAL PRIMARY KEY, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, action TEXT, username TEXT, file TEXT)")
    await c.query("INSERT INTO sops_made (action, username, file) VALUES ('decrypt', 'old', '/old')")
    const log = startEventLog([postgresSink({ connectionString: pg.connectionString, table: "sops_made" })], { warn: (m) => expect.fail(m) })
    await decryptMany(3)
    await log.close()
    const rows = await c.query("SELECT username, outcome FROM sops_made ORDER BY id")
    await c.close()
    expect(rows).toHaveLength(4)
    expect(rows[0]).toEqual({ username: "old", outcome: null })
    expect(rows[3]!["outcome"]).toBe("success")
  })

  it("reports a wrong password as an error", async () => {
    const bad = pg.connectionString.replace(/:[0-9a-f]{24}@/, ":wrong@")
    await expect(PgConnection.connect(bad)).rejects.toMatchObject({ code: "ERR_IO" })
  })
})

