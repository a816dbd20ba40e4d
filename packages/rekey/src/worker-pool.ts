/**
 * Running a re-key over worker threads, for machines where one thread's CPU, not key-service
 * latency, limits the rate (each file costs milliseconds of parsing, crypto, SDK and file
 * work).
 *
 * The main thread keeps everything that must be single: the file list, the scheduling (the
 * run's concurrency is shared out over the workers), the journal (workers send their lines
 * here and wait for the fsync), progress and the signal. Each worker builds its own key
 * services from {@link RekeyOptions.keyServicesModule}, since key-service objects cannot cross
 * threads, and runs the same per-file pipeline as the in-process mode.
 * @module
 */
import { availableParallelism } from "node:os"
import { isAbsolute, resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"
import { SopsError, type SopsConfig } from "@sops-ts/core"
import type { Journal, JournalEntry } from "./journal.js"
import { DEFAULT_PROVIDER_LIMITS } from "./limiter.js"
import type { FileOutcome, RekeyOptions } from "./types.js"

/** The options a worker needs: plain data only. */
export interface WorkerInit {
  readonly keyServicesModule: string
  readonly keyServicesOptions: unknown
  readonly options: Pick<
    RekeyOptions,
    "operation" | "addKeys" | "removeKeys" | "migrate" | "rotate" | "verify" | "decryptionOrder" | "dryRun"
  >
  readonly config: { readonly data: SopsConfig["data"]; readonly configDir: string; readonly path: string | null } | null
  readonly providerLimits: Readonly<Record<string, number>>
  readonly journal: boolean
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: "file"; readonly id: number; readonly path: string; readonly done: readonly string[] }
  | { readonly type: "journal-ack"; readonly rid: number; readonly error?: { code: string; message: string } }
  | { readonly type: "close" }

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "init-error"; readonly error: { code: string; message: string } }
  | { readonly type: "outcome"; readonly id: number; readonly outcome: FileOutcome }
  | { readonly type: "journal"; readonly rid: number; readonly entry: Omit<JournalEntry, "v" | "run" | "time"> }
  | { readonly type: "closed" }

/** The default number of workers: one per core the process may use. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism())
}

/** Each worker's share of the per-provider limits, so the run as a whole keeps them. */
export function splitProviderLimits(limits: Readonly<Partial<Record<string, number>>> | undefined, workers: number): Record<string, number> {
  const out: Record<string, number> = {}
  const all = { ...DEFAULT_PROVIDER_LIMITS, ...limits }
  for (const [type, n] of Object.entries(all)) if (n !== undefined) out[type] = Math.max(1, Math.floor(n / workers))
  return out
}

/** Hooks of {@link runInWorkers} into the run's bookkeeping. */
export interface WorkerRunHooks {
  readonly stopped: () => boolean
  /** A file was handed to a worker. */
  readonly started: () => void
  readonly finished: (index: number, outcome: FileOutcome) => void
}

function moduleUrl(spec: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) return spec
  return pathToFileURL(isAbsolute(spec) ? spec : resolve(cwd, spec)).href
}

function crashOutcome(path: string, message: string): FileOutcome {
  return { path, status: "failed", added: [], removed: [], rotated: false, durationMs: 0, error: { code: "ERR_INTERNAL", message } }
}

interface Slot {
  readonly worker: Worker
  readonly inFlight: Map<number, string>
  alive: boolean
}

/**
 * Processes `files` over `workers` threads, at most `concurrency` files at once in total.
 * @throws SopsError `ERR_INVALID_ARGUMENT` when a worker cannot start (the key-services module
 *   does not load or its factory throws); no file has been touched then
 */
export async function runInWorkers(
  options: RekeyOptions,
  config: SopsConfig | null,
  journal: Journal | null,
  files: readonly string[],
  workers: number,
  concurrency: number,
  cwd: string,
  hooks: WorkerRunHooks,
): Promise<void> {
  const init: WorkerInit = {
    keyServicesModule: moduleUrl(options.keyServicesModule!, cwd),
    keyServicesOptions: options.keyServicesOptions,
    options: {
      operation: options.operation,
      ...(options.addKeys ? { addKeys: options.addKeys } : {}),
      ...(options.removeKeys ? { removeKeys: options.removeKeys } : {}),
      ...(options.migrate ? { migrate: options.migrate } : {}),
      ...(options.rotate !== undefined ? { rotate: options.rotate } : {}),
      ...(options.verify !== undefined ? { verify: options.verify } : {}),
      ...(options.decryptionOrder ? { decryptionOrder: options.decryptionOrder } : {}),
      ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
    },
    config: config === null ? null : { data: config.data, configDir: config.configDir, path: config.path },
    providerLimits: splitProviderLimits(options.providerLimits, workers),
    journal: journal !== null,
  }
  const entry = new URL("./worker.js", import.meta.url)
  const slots: Slot[] = []
  const perWorker = Math.max(1, Math.ceil(concurrency / workers))
  let next = 0
  let wake: (() => void) | null = null
  const poke = (): void => {
    wake?.()
    wake = null
  }

  const started = await Promise.allSettled(
    Array.from({ length: workers }, () => {
      const worker = new Worker(entry, { workerData: init })
      const slot: Slot = { worker, inFlight: new Map(), alive: true }
      slots.push(slot)
      return new Promise<void>((ready, fail) => {
        const onMessage = (m: FromWorker): void => {
          if (m.type === "ready") ready()
          else if (m.type === "init-error") fail(new SopsError("ERR_INVALID_ARGUMENT", `keyServicesModule: ${m.error.message}`))
          else if (m.type === "outcome") {
            const path = slot.inFlight.get(m.id)
            if (path === undefined) return
            slot.inFlight.delete(m.id)
            hooks.finished(m.id, m.outcome)
            poke()
          } else if (m.type === "journal") {
            const ack = (error?: unknown): void => {
              const e = error === undefined ? undefined : error instanceof SopsError ? { code: error.code, message: error.message } : { code: "ERR_IO", message: String(error) }
              if (slot.alive) worker.postMessage({ type: "journal-ack", rid: m.rid, ...(e ? { error: e } : {}) } satisfies ToWorker)
            }
            if (journal === null) ack()
            else journal.record(m.entry).then(() => ack(), ack)
          }
        }
        worker.on("message", onMessage)
        // A worker that dies mid-run takes its files with it: report them, keep the others going.
        const died = (why: string): void => {
          slot.alive = false
          fail(new SopsError("ERR_INVALID_ARGUMENT", `a rekey worker failed to start: ${why}`))
          for (const [id, path] of slot.inFlight) hooks.finished(id, crashOutcome(path, `the worker thread processing this file stopped: ${why}`))
          slot.inFlight.clear()
          poke()
        }
        worker.once("error", (err) => died(err.message))
        worker.once("exit", (code) => died(`it exited with code ${code}`))
      })
    }),
  )
  const failure = started.find((s) => s.status === "rejected")
  if (failure) {
    await Promise.all(slots.map((s) => s.worker.terminate()))
    throw (failure as PromiseRejectedResult).reason
  }

  // Hand out files: each worker holds at most its share of the concurrency.
  for (;;) {
    const live = slots.filter((s) => s.alive)
    if (live.length === 0 || hooks.stopped() || next >= files.length) {
      if (live.every((s) => s.inFlight.size === 0)) break
    } else {
      let sent = false
      for (const s of live) {
        while (s.inFlight.size < perWorker && next < files.length && !hooks.stopped()) {
          const id = next++
          const path = files[id]!
          s.inFlight.set(id, path)
          hooks.started()
          s.worker.postMessage({ type: "file", id, path, done: journal?.doneHashes(path) ?? [] } satisfies ToWorker)
          sent = true
        }
      }
      if (sent) continue
    }
    await new Promise<void>((r) => (wake = r))
  }
  // Files never handed out because every worker died are failures, not cancellations.
  if (!hooks.stopped()) {
    while (next < files.length) {
      const id = next++
      hooks.finished(id, crashOutcome(files[id]!, "no rekey worker thread was left to process this file"))
    }
  }

  await Promise.all(
    slots.map(async (s) => {
      if (!s.alive) return
      await new Promise<void>((done) => {
        const timer = setTimeout(done, 5000)
        s.worker.on("message", (m: FromWorker) => {
          if (m.type === "closed") {
            clearTimeout(timer)
            done()
          }
        })
        s.worker.postMessage({ type: "close" } satisfies ToWorker)
      })
      await s.worker.terminate()
    }),
  )
}

/** Checks the worker options of a run. @throws SopsError `ERR_INVALID_ARGUMENT` */
export function validateWorkerOptions(o: RekeyOptions): void {
  if (o.workers === undefined) return
  if (!(Number.isInteger(o.workers) && o.workers >= 0)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", `workers must be a non-negative integer, not ${String(o.workers)}`)
  }
  if (o.workers === 0) return
  if (typeof o.keyServicesModule !== "string" || o.keyServicesModule === "") {
    throw new SopsError("ERR_INVALID_ARGUMENT", "workers need keyServicesModule: a module whose createKeyServices() builds the key services in each worker")
  }
  if (o.keyServices !== undefined) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "with workers, key services come from keyServicesModule; do not pass keyServices as well")
  }
  if (o.now !== undefined) throw new SopsError("ERR_INVALID_ARGUMENT", "the now option cannot be used with workers (functions cannot cross threads)")
}
