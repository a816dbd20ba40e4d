/**
 * Operation events: every decrypt, encrypt, rotate and re-key is reported to the registered
 * listeners (audit sinks, metrics). Events never carry values, keys or MACs.
 * @module
 */
import { hostname, userInfo } from "node:os"
import { resolve } from "node:path"

/** The operations that produce events. */
export type SopsOperation = "decrypt" | "encrypt" | "rotate" | "updatekeys" | "rekey" | "edit" | "set" | "unset"

/** One operation's record. */
export interface SopsEvent {
  /** ISO 8601 time the operation ended. */
  readonly time: string
  readonly operation: SopsOperation
  /** Absolute path, or null for in-memory data. */
  readonly file: string | null
  readonly format: string
  readonly outcome: "success" | "failure"
  /** The SopsError code of a failure. */
  readonly errorCode?: string
  readonly durationMs: number
  /** Master keys tried (`type id`) and the one that opened the data key. */
  readonly keysTried: readonly string[]
  readonly keyUsed: string | null
  readonly user: string
  readonly host: string
}

/** Receives events. A listener that throws is ignored (and reported once on stderr). */
export type SopsEventListener = (event: SopsEvent) => void

const listeners: SopsEventListener[] = []
const warned = new WeakSet<SopsEventListener>()

/** Adds an event listener. @returns a function that removes it */
export function onSopsEvent(listener: SopsEventListener): () => void {
  listeners.push(listener)
  return () => {
    const i = listeners.indexOf(listener)
    if (i !== -1) listeners.splice(i, 1)
  }
}

let cachedUser: string | undefined
function currentUser(): string {
  if (cachedUser === undefined) {
    try {
      cachedUser = userInfo().username
    } catch {
      cachedUser = process.env["USER"] ?? "unknown"
    }
  }
  return cachedUser
}

/** What an operation reports about itself. */
export interface OperationOutcome {
  readonly ok: boolean
  readonly errorCode?: string
  readonly durationMs: number
  readonly keysTried?: readonly string[]
  readonly keyUsed?: string | null
}

/** Sends an event to every listener; listener failures never reach the caller. */
export function emitSopsEvent(
  operation: SopsOperation,
  file: string | undefined,
  format: string,
  outcome: OperationOutcome,
): void {
  if (listeners.length === 0) return
  const event: SopsEvent = {
    time: new Date().toISOString(),
    operation,
    file: file === undefined ? null : resolve(file),
    format,
    outcome: outcome.ok ? "success" : "failure",
    ...(outcome.errorCode ? { errorCode: outcome.errorCode } : {}),
    durationMs: outcome.durationMs,
    keysTried: outcome.keysTried ?? [],
    keyUsed: outcome.keyUsed ?? null,
    user: currentUser(),
    host: hostname(),
  }
  for (const l of [...listeners]) {
    try {
      l(event)
    } catch (err) {
      if (!warned.has(l)) {
        warned.add(l)
        process.stderr.write(`sops-ts: an event listener failed and is ignored from now on: ${(err as Error).message}\n`)
      }
    }
  }
}

/** Emits a decrypt event. */
export function emitDecryptEvent(file: string | undefined, format: string, outcome: OperationOutcome): void {
  emitSopsEvent("decrypt", file, format, outcome)
}

/** Runs `fn`, timing it, and reports the outcome. */
export async function timed<T>(report: (outcome: OperationOutcome) => void, fn: () => Promise<T>): Promise<T> {
  const start = performance.now()
  try {
    const r = await fn()
    report({ ok: true, durationMs: performance.now() - start })
    return r
  } catch (err) {
    const code = (err as { code?: unknown }).code
    report({ ok: false, durationMs: performance.now() - start, ...(typeof code === "string" ? { errorCode: code } : {}) })
    throw err
  }
}
