/**
 * Running child processes for `exec-env`, `exec-file` and `edit`: status passed through,
 * signals forwarded, stdio shared with the terminal (real runs) or piped into the run's
 * streams (tests).
 * @module
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process"
import { readFileSync } from "node:fs"
import { constants } from "node:os"
import { CliError, ExitCode } from "./exit-codes.js"
import type { CliIo } from "./io.js"

/** What to run. */
export interface ChildSpec {
  readonly file: string
  readonly args: readonly string[]
  readonly env: Record<string, string>
  readonly cwd: string
  /** Run as this user (needs privileges). */
  readonly user?: UserInfo
}

/** A local user, from `/etc/passwd`. */
export interface UserInfo {
  readonly name: string
  readonly uid: number
  readonly gid: number
  readonly home: string
}

/** Looks a user up in `/etc/passwd` (name or numeric id). @throws CliError exit 1 */
export function lookupUser(name: string): UserInfo {
  let text = ""
  try {
    text = readFileSync("/etc/passwd", "utf8")
  } catch {
    // Falls through to "unknown user".
  }
  for (const line of text.split("\n")) {
    const f = line.split(":")
    if (f.length >= 7 && (f[0] === name || f[2] === name)) {
      return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }
    }
  }
  throw new CliError(`user: unknown user ${name}`, ExitCode.ErrorGeneric)
}

const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"]

/**
 * Runs the child and resolves with its exit status (128 + signal number when it was killed,
 * as a shell reports it).
 */
export function runChild(io: CliIo, spec: ChildSpec, options: { readonly background?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const opts: SpawnOptions = {
      env: spec.env,
      cwd: spec.cwd,
      stdio: io.inheritStdio ? "inherit" : ["ignore", "pipe", "pipe"],
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
      ...(options.background ? { detached: true } : {}),
    }
    // Forwarding is set up before the child exists: a signal that reaches us after the
    // child started but before a listener was attached would otherwise kill this process
    // with the default action and orphan the child (which keeps our stdout open). Node
    // runs signal listeners from the event loop, so `child` is always assigned by then.
    let child: ChildProcess | undefined
    const forward = (sig: NodeJS.Signals): void => {
      child?.kill(sig)
    }
    const listening = io.inheritStdio === true
    if (listening) for (const s of FORWARDED) process.on(s, forward)
    const done = (): void => {
      if (listening) for (const s of FORWARDED) process.off(s, forward)
    }
    try {
      child = spawn(spec.file, [...spec.args], opts)
    } catch (err) {
      done()
      reject(new CliError(`could not run ${spec.file}: ${(err as Error).message}`, ExitCode.ErrorGeneric, { cause: err }))
      return
    }
    child.stdout?.on("data", (c: Uint8Array) => io.stdout.write(c))
    child.stderr?.on("data", (c: Uint8Array) => io.stderr.write(c))
    child.on("error", (err) => {
      done()
      reject(new CliError(`could not run ${spec.file}: ${err.message}`, ExitCode.ErrorGeneric, { cause: err }))
    })
    if (options.background) {
      child.unref()
      done()
      resolve(0)
      return
    }
    child.on("close", (code, signal) => {
      done()
      if (code !== null) resolve(code)
      else resolve(128 + (signal ? (constants.signals[signal] ?? 0) : 0))
    })
  })
}
