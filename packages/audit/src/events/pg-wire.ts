/**
 * A minimal PostgreSQL client (frontend/backend protocol 3.0): startup with trust, password,
 * MD5 or SCRAM-SHA-256 authentication, optional TLS, and parameterised queries through the
 * extended protocol. Enough for the audit sink, without a driver dependency.
 * @module
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto"
import { connect as netConnect, type Socket } from "node:net"
import { connect as tlsConnect } from "node:tls"
import { SopsError } from "@sops-ts/core"

/** Parsed connection settings. */
export interface PgConnectionOptions {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly database: string
  /** `disable` (default for local sockets), `prefer`, `require`, `verify-ca`, `verify-full`. */
  readonly sslmode: string
}

/**
 * Parses `postgres://user:pass@host:port/db?sslmode=...` (also `postgresql://`; a `host`
 * query parameter that starts with `/` names a Unix socket directory).
 * @throws SopsError `ERR_CONFIG` for anything else
 */
export function parseConnectionString(s: string): PgConnectionOptions {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    throw new SopsError("ERR_CONFIG", "the PostgreSQL connection string is not a URL (expected postgres://user:password@host:port/database)")
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new SopsError("ERR_CONFIG", `the PostgreSQL connection string must start with postgres:// (got ${u.protocol}//)`)
  }
  const user = decodeURIComponent(u.username) || process.env["PGUSER"] || "postgres"
  return {
    host: u.searchParams.get("host") ?? (u.hostname || "localhost"),
    port: Number(u.port || 5432),
    user,
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || user,
    sslmode: u.searchParams.get("sslmode") ?? "prefer",
  }
}

/** One result row: column name → text value (null for SQL NULL). */
export type PgRow = Record<string, string | null>

class Reader {
  private buf: Buffer = Buffer.alloc(0)
  private waiters: (() => void)[] = []
  private error: Error | null = null

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    this.wake()
  }

  fail(err: Error): void {
    this.error = err
    this.wake()
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** Reads `n` raw bytes (the SSL answer). */
  async bytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.error) throw this.error
      await new Promise<void>((r) => this.waiters.push(r))
    }
    const out = this.buf.subarray(0, n)
    this.buf = this.buf.subarray(n)
    return out
  }

  /** Reads one backend message. */
  async message(): Promise<{ type: string; body: Buffer }> {
    const head = await this.bytes(5)
    const len = head.readInt32BE(1)
    const body = await this.bytes(len - 4)
    return { type: String.fromCharCode(head[0]!), body: Buffer.from(body) }
  }
}

function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, "utf8"), Buffer.from([0])])
}

function msg(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts)
  const head = Buffer.alloc(5)
  head.write(type, 0, "latin1")
  head.writeInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

function errorFields(body: Buffer): { code: string; message: string } {
  const out: Record<string, string> = {}
  let o = 0
  while (o < body.length && body[o] !== 0) {
    const t = String.fromCharCode(body[o]!)
    const end = body.indexOf(0, o + 1)
    out[t] = body.toString("utf8", o + 1, end)
    o = end + 1
  }
  return { code: out["C"] ?? "", message: out["M"] ?? "unknown error" }
}

/** A PostgreSQL connection. Queries run one at a time, in call order. */
export class PgConnection {
  private chain: Promise<unknown> = Promise.resolve()

  private constructor(
    private socket: Socket,
    private readonly reader: Reader,
  ) {}

  /**
   * Connects and authenticates.
   * @throws SopsError `ERR_IO` when the server cannot be reached or refuses the login
   */
  static async connect(options: PgConnectionOptions | string, timeoutMs = 10_000): Promise<PgConnection> {
    const o = typeof options === "string" ? parseConnectionString(options) : options
    const reader = new Reader()
    const unix = o.host.startsWith("/")
    let socket: Socket = unix ? netConnect(`${o.host}/.s.PGSQL.${o.port}`) : netConnect(o.port, o.host)
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`timed out after ${timeoutMs} ms`)))
    const attach = (s: Socket): void => {
      s.on("data", (c: Buffer) => reader.push(c))
      s.on("error", (e) => reader.fail(new SopsError("ERR_IO", `PostgreSQL connection failed: ${e.message}`, { cause: e })))
      s.on("close", () => reader.fail(new SopsError("ERR_IO", "the PostgreSQL server closed the connection")))
    }
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve)
        socket.once("error", reject)
      })
    } catch (err) {
      throw new SopsError("ERR_IO", `cannot reach PostgreSQL at ${o.host}:${o.port}: ${(err as Error).message}`, { cause: err })
    }
    const wantTls = !unix && o.sslmode !== "disable"
    if (wantTls) {
      attach(socket)
      socket.write(Buffer.concat([int32(8), int32(80877103)]))
      const answer = (await reader.bytes(1)).toString("latin1")
      if (answer === "S") {
        socket.removeAllListeners("data")
        socket.removeAllListeners("close")
        socket.removeAllListeners("error")
        const verify = o.sslmode === "verify-ca" || o.sslmode === "verify-full"
        const tls = tlsConnect({ socket, rejectUnauthorized: verify, ...(o.sslmode === "verify-full" ? { servername: o.host } : { checkServerIdentity: () => undefined }) })
        await new Promise<void>((resolve, reject) => {
          tls.once("secureConnect", resolve)
          tls.once("error", reject)
        })
        socket = tls
        attach(socket)
      } else if (o.sslmode === "require" || o.sslmode.startsWith("verify")) {
        socket.destroy()
        throw new SopsError("ERR_IO", "the PostgreSQL server does not support TLS, but sslmode requires it")
      }
    } else {
      attach(socket)
    }
    const conn = new PgConnection(socket, reader)
    await conn.startup(o)
    socket.setTimeout(0)
    return conn
  }

  private async startup(o: PgConnectionOptions): Promise<void> {
    const params = Buffer.concat([cstr("user"), cstr(o.user), cstr("database"), cstr(o.database), cstr("client_encoding"), cstr("UTF8"), Buffer.from([0])])
    this.socket.write(Buffer.concat([int32(params.length + 8), int32(196608), params]))
    let scram: { nonce: string; bare: string; serverSignature?: Buffer } | null = null
    for (;;) {
      const m = await this.reader.message()
      if (m.type === "E") throw new SopsError("ERR_IO", `PostgreSQL refused the connection: ${errorFields(m.body).message}`)
      if (m.type === "Z") return
      if (m.type !== "R") continue
      const kind = m.body.readInt32BE(0)
      if (kind === 0) continue
      if (kind === 3) {
        this.socket.write(msg("p", cstr(o.password)))
      } else if (kind === 5) {
        const salt = m.body.subarray(4, 8)
        const inner = createHash("md5").update(o.password + o.user).digest("hex")
        const outer = createHash("md5").update(Buffer.concat([Buffer.from(inner), salt])).digest("hex")
        this.socket.write(msg("p", cstr("md5" + outer)))
      } else if (kind === 10) {
        const mechs = m.body.subarray(4).toString("utf8").split("\0")
        if (!mechs.includes("SCRAM-SHA-256")) throw new SopsError("ERR_IO", `unsupported PostgreSQL SASL mechanisms: ${mechs.filter(Boolean).join(", ")}`)
        const nonce = randomBytes(18).toString("base64")
        const bare = `n=,r=${nonce}`
        scram = { nonce, bare }
        const first = Buffer.from("n,," + bare)
        this.socket.write(msg("p", cstr("SCRAM-SHA-256"), int32(first.length), first))
      } else if (kind === 11 && scram !== null) {
        const serverFirst = m.body.subarray(4).toString("utf8")
        const attrs = Object.fromEntries(serverFirst.split(",").map((kv) => [kv[0], kv.slice(2)]))
        const r = attrs["r"] ?? ""
        if (!r.startsWith(scram.nonce)) throw new SopsError("ERR_IO", "PostgreSQL SCRAM: the server nonce does not extend ours")
        const salted = pbkdf2Sync(o.password.normalize("NFKC"), Buffer.from(attrs["s"] ?? "", "base64"), Number(attrs["i"]), 32, "sha256")
        const clientKey = createHmac("sha256", salted).update("Client Key").digest()
        const storedKey = createHash("sha256").update(clientKey).digest()
        const finalNoProof = `c=biws,r=${r}`
        const authMessage = `${scram.bare},${serverFirst},${finalNoProof}`
        const signature = createHmac("sha256", storedKey).update(authMessage).digest()
        const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!))
        scram.serverSignature = createHmac("sha256", createHmac("sha256", salted).update("Server Key").digest()).update(authMessage).digest()
        this.socket.write(msg("p", Buffer.from(`${finalNoProof},p=${proof.toString("base64")}`)))
      } else if (kind === 12 && scram?.serverSignature !== undefined) {
        const v = m.body.subarray(4).toString("utf8").replace(/^v=/, "")
        if (!Buffer.from(v, "base64").equals(scram.serverSignature)) throw new SopsError("ERR_IO", "PostgreSQL SCRAM: the server signature is wrong")
      } else {
        throw new SopsError("ERR_IO", `unsupported PostgreSQL authentication method ${kind}`)
      }
    }
  }

  /**
   * Runs one statement with text parameters (`$1`, `$2`...).
   * @throws SopsError `ERR_IO` with the server's message (and SQLSTATE in details)
   */
  query(sql: string, params: readonly (string | number | null)[] = []): Promise<PgRow[]> {
    const run = this.chain.then(() => this.run(sql, params))
    this.chain = run.catch(() => undefined)
    return run
  }

  private async run(sql: string, params: readonly (string | number | null)[]): Promise<PgRow[]> {
    const values = params.map((p) => {
      if (p === null) return int32(-1)
      const b = Buffer.from(String(p), "utf8")
      return Buffer.concat([int32(b.length), b])
    })
    this.socket.write(
      Buffer.concat([
        msg("P", cstr(""), cstr(sql), int16(0)),
        msg("B", cstr(""), cstr(""), int16(0), int16(params.length), ...values, int16(0)),
        msg("D", Buffer.from("P"), cstr("")),
        msg("E", cstr(""), int32(0)),
        msg("S"),
      ]),
    )
    let columns: string[] = []
    const rows: PgRow[] = []
    let failure: { code: string; message: string } | null = null
    for (;;) {
      const m = await this.reader.message()
      if (m.type === "T") {
        const n = m.body.readInt16BE(0)
        columns = []
        let o = 2
        for (let i = 0; i < n; i++) {
          const end = m.body.indexOf(0, o)
          columns.push(m.body.toString("utf8", o, end))
          o = end + 1 + 18
        }
      } else if (m.type === "D") {
        const n = m.body.readInt16BE(0)
        let o = 2
        const row: PgRow = {}
        for (let i = 0; i < n; i++) {
          const len = m.body.readInt32BE(o)
          o += 4
          row[columns[i] ?? String(i)] = len === -1 ? null : m.body.toString("utf8", o, o + len)
          if (len > 0) o += len
        }
        rows.push(row)
      } else if (m.type === "E") {
        failure = errorFields(m.body)
      } else if (m.type === "Z") {
        if (failure !== null) throw new SopsError("ERR_IO", `PostgreSQL: ${failure.message}`, { details: { sqlstate: failure.code } })
        return rows
      }
    }
  }

  /** Sends Terminate and closes the socket. */
  async close(): Promise<void> {
    await this.chain
    if (this.socket.destroyed) return
    await new Promise<void>((resolve) => this.socket.end(msg("X"), () => resolve()))
    this.socket.destroy()
  }
}
