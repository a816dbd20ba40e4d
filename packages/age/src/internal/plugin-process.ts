/**
 * One age plugin process and its stanza pipes: finding `age-plugin-<name>` on `PATH`,
 * starting it with `--age-plugin=<state machine>` (no shell, in the temporary directory, as
 * age does, since plugins must not depend on the working directory), and exchanging stanzas
 * over its stdin and stdout under a time budget and an AbortSignal.
 *
 * Only absolute `PATH` entries are searched: the spec forbids paths relative to the working
 * directory (https://go.dev/blog/path-security), which `execvp` would search.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process"
import { constants } from "node:fs"
import { access, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { delimiter, isAbsolute, join } from "node:path"
import { PluginProtocolError, StanzaReader, encodePluginStanza, type PluginStanza } from "./plugin-stanza.js"
import type { PluginRunOptions } from "./plugin-types.js"

/** Why a plugin session ended early. `message` never holds key material. */
export class PluginSessionError extends Error {
  /**
   * @param kind - `not-found` (no binary on PATH), `aborted` (the caller's signal),
   *   `timeout`, or `failed` (the plugin misbehaved, exited or reported an error)
   */
  constructor(
    readonly kind: "not-found" | "aborted" | "timeout" | "failed",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = "PluginSessionError"
  }
}

/** A binary name made from a validated plugin name (checked again: it becomes a path). */
const BINARY = /^age-plugin-[A-Za-z0-9._+-]+$/

/** More stanzas than any honest session sends (grease included): a plugin stuck in a loop. */
const MAX_STANZAS = 10_000
/** How long a plugin may take to exit after the session, before it is terminated. */
const EXIT_GRACE_MS = 5_000
const MAX_LOG_LINE = 4096

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The absolute path of `binary` in the first absolute directory of `searchPath` that holds an
 * executable file of that name (`.exe` added on Windows), or null.
 */
export async function findOnPath(binary: string, searchPath: string, platform: NodeJS.Platform = process.platform): Promise<string | null> {
  const names = platform === "win32" ? [`${binary}.exe`, binary] : [binary]
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue
    for (const name of names) {
      const candidate = join(dir, name)
      if (await isExecutableFile(candidate)) return candidate
    }
  }
  return null
}

function searchPathOf(options: PluginRunOptions): string {
  return options.searchPath ?? options.env["PATH"] ?? options.env["Path"] ?? ""
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal !== null) return `was killed by ${signal}`
  return code === 0 ? "exited" : `exited with status ${code}`
}

/**
 * A running plugin. Send stanzas with {@link PluginConnection.send}, read the plugin's with
 * {@link PluginConnection.receive}, run user prompts inside {@link PluginConnection.interact}
 * (which stops the clock), and always {@link PluginConnection.close}.
 */
export class PluginConnection {
  private readonly reader = new StanzaReader()
  private readonly queue: PluginStanza[] = []
  private waiter: { resolve: (s: PluginStanza) => void; reject: (e: Error) => void } | null = null
  private failure: PluginSessionError | null = null
  private exit: string | null = null
  private received = 0
  private budget: number
  private clockStart = 0
  private timer: NodeJS.Timeout | null = null
  private closed = false
  private readonly onAbort = (): void => this.fail(new PluginSessionError("aborted", `${this.binary} was aborted`))

  private constructor(
    private readonly child: ChildProcess,
    readonly plugin: string,
    readonly binary: string,
    private readonly options: PluginRunOptions,
  ) {
    this.budget = options.timeoutMs
    this.wire()
    this.startClock()
    options.signal?.addEventListener("abort", this.onAbort, { once: true })
    if (options.signal?.aborted) this.onAbort()
  }

  /**
   * Finds and starts `age-plugin-<plugin>` for a state machine.
   * @param plugin - the plugin name (for messages and the logger)
   * @param binary - `age-plugin-<plugin>`
   * @throws PluginSessionError `not-found` when the binary is not on the search path,
   *   `aborted` when the signal is already aborted, `failed` for an invalid binary name
   */
  static async open(
    plugin: string,
    binary: string,
    stateMachine: "recipient-v1" | "identity-v1",
    options: PluginRunOptions,
  ): Promise<PluginConnection> {
    if (!BINARY.test(binary)) throw new PluginSessionError("failed", "invalid age plugin binary name")
    if (options.signal?.aborted) throw new PluginSessionError("aborted", `${binary} was aborted`)
    const path = await findOnPath(binary, searchPathOf(options))
    if (path === null) throw new PluginSessionError("not-found", `${binary} was not found on PATH`)
    if (options.signal?.aborted) throw new PluginSessionError("aborted", `${binary} was aborted`)
    const child = spawn(path, [`--age-plugin=${stateMachine}`], {
      cwd: tmpdir(),
      env: options.env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    })
    return new PluginConnection(child, plugin, binary, options)
  }

  private wire(): void {
    const { child } = this
    child.on("error", (err) => this.fail(new PluginSessionError("failed", `${this.binary} could not be started`, { cause: err })))
    // A plugin that exits before reading everything closes the pipe under us: that shows up
    // as its exit, not as a write error.
    child.stdin!.on("error", () => {})
    child.stdout!.on("data", (chunk: Buffer) => this.onData(chunk))
    this.wireStderr()
    child.on("close", (code, signal) => {
      this.exit = describeExit(code, signal)
      if (this.failure === null && this.waiter !== null) {
        const how = this.reader.midStanza ? `${this.exit} in the middle of a stanza` : `${this.exit} before finishing`
        this.fail(new PluginSessionError("failed", `${this.binary} ${how}`))
      }
      this.stopClock()
    })
  }

  private wireStderr(): void {
    const log = this.options.log
    let pending = ""
    this.child.stderr!.setEncoding("utf8")
    this.child.stderr!.on("data", (text: string) => {
      if (log === undefined) return
      pending += text
      let nl: number
      while ((nl = pending.indexOf("\n")) >= 0) {
        this.logLine(pending.slice(0, nl))
        pending = pending.slice(nl + 1)
      }
      if (pending.length > MAX_LOG_LINE) {
        this.logLine(pending)
        pending = ""
      }
    })
    this.child.stderr!.on("end", () => {
      if (pending !== "") this.logLine(pending)
    })
  }

  private logLine(line: string): void {
    try {
      this.options.log?.(this.plugin, line.replace(/\r$/, "").slice(0, MAX_LOG_LINE))
    } catch {
      // A logger's failure must not break the session.
    }
  }

  private onData(chunk: Buffer): void {
    if (this.failure !== null || this.closed) return
    try {
      this.reader.push(chunk)
      for (let s = this.reader.next(); s !== null; s = this.reader.next()) {
        if (++this.received > MAX_STANZAS) throw new PluginProtocolError("too many stanzas from the plugin")
        this.queue.push(s)
      }
    } catch (err) {
      const reason = err instanceof PluginProtocolError ? err.message : "unreadable output"
      this.fail(new PluginSessionError("failed", `${this.binary} broke the plugin protocol: ${reason}`, { cause: err }))
      return
    }
    this.deliver()
  }

  private deliver(): void {
    if (this.waiter === null || this.queue.length === 0) return
    const w = this.waiter
    this.waiter = null
    w.resolve(this.queue.shift()!)
  }

  /** Ends the session with `err`: pending and later receives reject, the process is stopped. */
  private fail(err: PluginSessionError): void {
    if (this.failure !== null || this.closed) return
    this.failure = err
    this.stopClock()
    this.terminate()
    const w = this.waiter
    this.waiter = null
    w?.reject(err)
  }

  private startClock(): void {
    this.clockStart = Date.now()
    this.timer = setTimeout(() => {
      const seconds = Math.round(this.options.timeoutMs / 100) / 10
      this.fail(new PluginSessionError("timeout", `${this.binary} did not finish within ${seconds} s`))
    }, Math.max(0, this.budget))
  }

  private stopClock(): void {
    if (this.timer === null) return
    clearTimeout(this.timer)
    this.timer = null
    this.budget -= Date.now() - this.clockStart
  }

  /** Sends one stanza to the plugin. Write errors surface as the plugin's exit. */
  send(type: string, args: readonly string[] = [], body?: Uint8Array): void {
    if (this.failure !== null || this.closed) return
    this.child.stdin!.write(encodePluginStanza(type, args, body))
  }

  /**
   * The plugin's next stanza.
   * @throws PluginSessionError when the session failed, timed out, was aborted, or the
   *   plugin exited first
   */
  receive(): Promise<PluginStanza> {
    const next = this.queue.shift()
    if (next !== undefined) return Promise.resolve(next)
    if (this.failure !== null) return Promise.reject(this.failure)
    if (this.exit !== null) return Promise.reject(new PluginSessionError("failed", `${this.binary} ${this.exit} before finishing`))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  /**
   * Runs a user interaction with the clock stopped (a person typing a PIN is not a hung
   * plugin); the caller's abort still ends it.
   * @throws PluginSessionError `aborted` when aborted meanwhile
   */
  async interact<T>(fn: () => Promise<T>): Promise<T> {
    this.stopClock()
    const signal = this.options.signal
    let rejectAborted: (err: Error) => void = () => {}
    const aborted = new Promise<never>((_, reject) => {
      rejectAborted = reject
    })
    aborted.catch(() => {})
    const onAbort = (): void => rejectAborted(new PluginSessionError("aborted", `${this.binary} was aborted`))
    if (signal?.aborted) onAbort()
    else signal?.addEventListener("abort", onAbort, { once: true })
    try {
      return await Promise.race([fn(), aborted])
    } finally {
      signal?.removeEventListener("abort", onAbort)
      if (this.failure === null && !this.closed && this.exit === null) this.startClock()
    }
  }

  /**
   * Ends the session: closes the plugin's stdin (it exits on end of input), and terminates it
   * if it is still running after a grace period. Does not wait for it.
   */
  close(): void {
    if (this.closed) return
    this.stopClock()
    this.closed = true
    this.options.signal?.removeEventListener("abort", this.onAbort)
    this.child.stdin!.end()
    if (this.exit === null) {
      const t = setTimeout(() => this.terminate(), EXIT_GRACE_MS)
      t.unref()
      this.child.once("close", () => clearTimeout(t))
    }
  }

  private terminate(): void {
    if (this.exit !== null || this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.stdin!.destroy()
    this.child.kill("SIGTERM")
    const t = setTimeout(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL")
    }, 2_000)
    t.unref()
  }
}
