/**
 * PostgreSQL event sink. The table is sops' `audit_event` (id, timestamp, action, username,
 * file) plus our columns, created on first use; an existing sops table gains the extra columns.
 * @module
 */
import { readFile } from "node:fs/promises"
import { SopsError, TreeBranch, storeFor, treeToObject, type SopsEvent } from "@sops-ts/core"
import { PgConnection } from "./pg-wire.js"
import type { EventSink } from "./sink.js"

/** sops' fixed audit configuration path. */
export const SOPS_AUDIT_CONFIG_PATH = "/etc/sops/audit.yaml"

/** Options of {@link postgresSink}. */
export interface PostgresSinkOptions {
  /** `postgres://user:password@host:port/database?sslmode=...` */
  readonly connectionString: string
  /** Table name (default `audit_event`, as sops). */
  readonly table?: string
}

const SCHEMA = (t: string): string[] => [
  `CREATE TABLE IF NOT EXISTS ${t} (id SERIAL PRIMARY KEY, timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, action TEXT, username TEXT, file TEXT)`,
  `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS event_time TIMESTAMPTZ, ADD COLUMN IF NOT EXISTS format TEXT, ADD COLUMN IF NOT EXISTS outcome TEXT, ADD COLUMN IF NOT EXISTS error_code TEXT, ADD COLUMN IF NOT EXISTS duration_ms DOUBLE PRECISION, ADD COLUMN IF NOT EXISTS keys_tried JSONB, ADD COLUMN IF NOT EXISTS key_used TEXT, ADD COLUMN IF NOT EXISTS host TEXT`,
]

/**
 * A sink that inserts one row per event. Writes are queued on one connection, opened on the
 * first event; `close()` waits for the queue.
 */
export function postgresSink(options: PostgresSinkOptions): EventSink {
  const table = options.table ?? "audit_event"
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new SopsError("ERR_CONFIG", "the audit table name must be a lower-case SQL identifier")
  let ready: Promise<PgConnection> | null = null
  const connection = (): Promise<PgConnection> => {
    ready ??= (async () => {
      const c = await PgConnection.connect(options.connectionString)
      for (const sql of SCHEMA(table)) await c.query(sql)
      return c
    })()
    return ready
  }
  return {
    name: "postgres",
    async write(e: SopsEvent) {
      const c = await connection()
      await c.query(
        `INSERT INTO ${table} (action, username, file, event_time, format, outcome, error_code, duration_ms, keys_tried, key_used, host) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)`,
        [e.operation, e.user, e.file ?? "", e.time, e.format, e.outcome, e.errorCode ?? null, e.durationMs, JSON.stringify(e.keysTried), e.keyUsed, e.host],
      )
    },
    async close() {
      if (ready === null) return
      const c = await ready.catch(() => null)
      await c?.close()
    },
  }
}

/**
 * Reads sops' `audit.yaml` layout (`backends: { postgres: [{ connection_string }] }`) and
 * returns one sink per backend. A missing file means no sinks, as in sops.
 * @throws SopsError `ERR_CONFIG` when the file exists but is malformed
 */
export async function sinksFromSopsAuditConfig(path: string = SOPS_AUDIT_CONFIG_PATH): Promise<EventSink[]> {
  let text: string
  try {
    text = await readFile(path, "utf8")
  } catch {
    return []
  }
  let doc: unknown
  try {
    const b = storeFor("yaml").loadPlain(new TextEncoder().encode(text))[0]
    doc = b instanceof TreeBranch ? treeToObject(b) : null
  } catch (cause) {
    throw new SopsError("ERR_CONFIG", `${path} is not valid YAML`, { cause })
  }
  const pg = (doc as { backends?: { postgres?: unknown } } | null)?.backends?.postgres
  if (pg === undefined || pg === null) return []
  if (!Array.isArray(pg)) throw new SopsError("ERR_CONFIG", `${path}: backends.postgres must be a list`)
  return pg.map((entry, i) => {
    const cs = (entry as { connection_string?: unknown } | null)?.connection_string
    if (typeof cs !== "string") throw new SopsError("ERR_CONFIG", `${path}: backends.postgres[${i}].connection_string must be a string`)
    return postgresSink({ connectionString: cs })
  })
}
