/**
 * Running the gpg executable: stdin in, stdout/stderr out, with abort and timeout, and parsing
 * of its machine-readable status lines (`--status-fd`).
 * @module
 */
import { spawn } from "node:child_process"
import { KeyUnavailableError, SopsError, concatBytes } from "@sops-ts/core"

/** How one gpg invocation is run. */
export interface GpgRun {
  /** The executable (taken literally, no argument splitting, as sops does with `SOPS_GPG_EXEC`). */
  readonly gpgPath: string
  readonly args: readonly string[]
  readonly stdin: Uint8Array
  /** The child's environment (gpg finds `GNUPGHOME`, `GPG_TTY` and the agent through it). */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly signal?: AbortSignal | undefined
  /** Kill gpg after this many milliseconds; 0 or Infinity = never. */
  readonly timeoutMs: number
}

/** What one gpg invocation produced. */
export interface GpgOutput {
  /** Exit code (null when gpg was killed by a signal). */
  readonly code: number | null
  readonly stdout: Uint8Array
  /** Human-readable stderr lines, status lines removed. */
  readonly log: string
  /** `[GNUPG:]` status lines, split into keyword and arguments. */
  readonly status: readonly StatusLine[]
}

/** One `[GNUPG:] KEYWORD args...` line. */
export interface StatusLine {
  readonly keyword: string
  readonly args: readonly string[]
}

const STATUS_PREFIX = "[GNUPG:] "
/** After a polite SIGTERM, gpg gets this long before SIGKILL. */
const KILL_GRACE_MS = 2_000

/**
 * Runs gpg once. Callers pass `--status-fd 2` so that status lines arrive on stderr, which works
 * through wrapper scripts and on every platform (an extra pipe on fd 3 does not).
 * @throws KeyUnavailableError when the executable cannot be started (gpg is not installed)
 * @throws SopsError `ERR_ABORTED` when `signal` fires or the timeout elapses (gpg is killed)
 */
export function runGpg(run: GpgRun): Promise<GpgOutput> {
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) {
      reject(new SopsError("ERR_ABORTED", "gpg was not started: the operation was aborted", { cause: run.signal.reason }))
      return
    }
    const child = spawn(run.gpgPath, run.args, {
      env: run.env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    let failure: SopsError | undefined
    let killTimer: NodeJS.Timeout | undefined
    const stop = (reason: SopsError): void => {
      failure ??= reason
      child.kill("SIGTERM")
      killTimer ??= setTimeout(() => child.kill("SIGKILL"), KILL_GRACE_MS)
      killTimer.unref()
    }
    const onAbort = (): void =>
      stop(new SopsError("ERR_ABORTED", "gpg was stopped: the operation was aborted", { cause: run.signal?.reason }))
    run.signal?.addEventListener("abort", onAbort, { once: true })
    const timeout =
      run.timeoutMs > 0 && Number.isFinite(run.timeoutMs)
        ? setTimeout(() => stop(new SopsError("ERR_ABORTED", `gpg did not finish within ${run.timeoutMs} ms and was stopped`)), run.timeoutMs)
        : undefined
    const cleanup = (): void => {
      run.signal?.removeEventListener("abort", onAbort)
      if (timeout) clearTimeout(timeout)
      if (killTimer) clearTimeout(killTimer)
    }

    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    // gpg may exit before reading all of stdin (e.g. on a bad option); that is reported by the exit code.
    child.stdin.on("error", () => {})
    child.on("error", (e: NodeJS.ErrnoException) => {
      cleanup()
      wipeAll(out)
      if (e.code === "ENOENT" || e.code === "EACCES") {
        reject(new KeyUnavailableError(`cannot run gpg executable "${run.gpgPath}": ${e.code}`, { cause: e }))
      } else {
        reject(new SopsError("ERR_KEY_FAILED", `cannot run gpg executable "${run.gpgPath}": ${e.message}`, { cause: e }))
      }
    })
    child.on("close", (code) => {
      cleanup()
      if (failure) {
        wipeAll(out)
        reject(failure)
        return
      }
      // A fresh array: Buffer.concat may place small results in Node's shared pool.
      const stdout = concatBytes(out)
      wipeAll(out)
      const { log, status } = splitStderr(Buffer.concat(err).toString("utf8"))
      resolve({ code, stdout, log, status })
    })
    child.stdin.end(run.stdin)
  })
}

function wipeAll(chunks: Buffer[]): void {
  // Best effort: stdout may hold the data key. JS cannot guarantee no other copies exist.
  for (const c of chunks) c.fill(0)
}

/** Separates status lines from gpg's human-readable messages. */
export function splitStderr(stderr: string): { log: string; status: StatusLine[] } {
  const status: StatusLine[] = []
  const log: string[] = []
  for (const line of stderr.split(/\r?\n/)) {
    if (line.startsWith(STATUS_PREFIX)) {
      const [keyword = "", ...args] = line.slice(STATUS_PREFIX.length).split(" ")
      status.push({ keyword, args })
    } else if (line.trim() !== "") {
      log.push(line)
    }
  }
  return { log: log.join("\n"), status }
}

/**
 * A one-line summary of gpg's messages for an error report. Lines that could carry a session
 * key (`--show-session-key` logs it) are dropped, and so are debug lines: a `debug crypto`
 * (or `debug-all`) in gpg.conf makes gpg print key material after `DBG:`. Otherwise gpg never
 * logs the decrypted data.
 */
export function summarizeLog(log: string): string {
  const lines = log
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/session key|DBG:|\bDEK\b/i.test(l))
  const text = lines.join("; ")
  return text.length > 500 ? text.slice(0, 497) + "..." : text || "no message"
}
