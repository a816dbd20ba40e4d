/**
 * A throw-away PostgreSQL server for tests: `initdb` in a temporary directory, started with
 * `pg_ctl` on a free port with SCRAM-SHA-256 authentication, stopped and deleted afterwards.
 * Runs as the `postgres` user (through `runuser`) when the test process is root, because the
 * server refuses to run as root.
 * @module
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** A running temporary server. */
export interface TempPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres?sslmode=disable` */
  readonly connectionString: string
  readonly port: number
  /** Stops the server (immediate shutdown) and deletes its directory. */
  stop(): void
}

/** The newest `/usr/lib/postgresql/<version>/bin`, or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  const base = "/usr/lib/postgresql"
  if (!existsSync(base)) return null
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? null : join(base, versions[0], "bin")
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address()
      const port = typeof addr === "object" && addr !== null ? addr.port : 0
      s.close(() => resolve(port))
    })
  })
}

/**
 * Starts a temporary PostgreSQL server.
 * @throws Error when PostgreSQL is not installed or does not start (the message includes its log)
 */
export async function startTempPostgres(): Promise<TempPostgres> {
  const bin = postgresBinDir()
  if (bin === null) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
  const dir = mkdtempSync(join(tmpdir(), "sops-ts-pg-"))
  const data = join(dir, "data")
  const password = randomBytes(12).toString("hex")
  writeFileSync(join(dir, "pw"), password + "\n")
  const asRoot = process.getuid?.() === 0
  const run = (cmd: string, args: string[]): string => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, cmd), ...args]] : [join(bin, cmd), args]
    return execFileSync(file, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  }
  if (asRoot) execFileSync("chown", ["-R", "postgres:postgres", dir])
  chmodSync(dir, 0o700)
  run("initdb", ["-D", data, "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${join(dir, "pw")}`, "-E", "UTF8", "--no-instructions"])
  const port = await freePort()
  try {
    run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"])
  } catch (err) {
    let log = ""
    try {
      log = execFileSync("cat", [join(dir, "log")], { encoding: "utf8" })
    } catch {
      // no log
    }
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`)
  }
  return {
    connectionString: `postgres://postgres:${password}@127.0.0.1:${port}/postgres?sslmode=disable`,
    port,
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
