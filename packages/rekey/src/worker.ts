/**
 * The entry of a rekey worker thread (see `worker-pool.ts`): builds key services from the
 * run's key-services module, then processes the files the main thread sends, one outcome
 * message per file. Journal lines go to the main thread, which owns the journal file.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads"
import { SopsConfig, SopsError, isSopsError, type KeyService } from "@sops-ts/core"
import { fileContext } from "./context.js"
import type { JournalSink } from "./journal.js"
import { processFile } from "./process-file.js"
import type { FromWorker, ToWorker, WorkerInit } from "./worker-pool.js"

const port = parentPort!
const init = workerData as WorkerInit
const post = (m: FromWorker): void => port.postMessage(m)

function errorOf(err: unknown): { code: string; message: string } {
  if (isSopsError(err)) return { code: err.code, message: err.message }
  return { code: "ERR_INTERNAL", message: err instanceof Error ? err.message : String(err) }
}

async function keyServices(): Promise<KeyService[]> {
  const mod = (await import(init.keyServicesModule)) as { createKeyServices?: unknown; default?: unknown }
  const factory = mod.createKeyServices ?? mod.default
  if (typeof factory !== "function") throw new Error(`${init.keyServicesModule} exports no createKeyServices function`)
  const services = (await (factory as (o: unknown) => unknown)(init.keyServicesOptions)) as unknown
  if (!Array.isArray(services)) throw new Error("createKeyServices must return an array of key services")
  return services as KeyService[]
}

/** Hashes that mean "done", per file in flight, as the main thread's journal knows them. */
const doneFor = new Map<string, ReadonlySet<string>>()
const waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>()
let nextRid = 0
const journal: JournalSink | null = init.journal
  ? {
      isDone: (file, hash) => doneFor.get(file)?.has(hash) === true,
      record: (entry) =>
        new Promise<void>((resolve, reject) => {
          const rid = nextRid++
          waiting.set(rid, { resolve, reject })
          post({ type: "journal", rid, entry })
        }),
    }
  : null

let services: KeyService[]
try {
  services = await keyServices()
} catch (err) {
  post({ type: "init-error", error: errorOf(err) })
  // Closing the port (not process.exit) lets the message above reach the main thread first.
  port.close()
  throw err
}
const config = init.config === null ? null : new SopsConfig(init.config.data, init.config.configDir, init.config.path)
const ctx = fileContext(init.options as Parameters<typeof fileContext>[0], config, services, init.providerLimits, journal)

port.on("message", (m: ToWorker) => {
  if (m.type === "file") {
    if (m.done.length > 0) doneFor.set(m.path, new Set(m.done))
    void processFile(m.path, ctx).then((outcome) => {
      doneFor.delete(m.path)
      post({ type: "outcome", id: m.id, outcome })
    })
  } else if (m.type === "journal-ack") {
    const w = waiting.get(m.rid)
    waiting.delete(m.rid)
    if (m.error) {
      w?.reject(new SopsError(m.error.code as ConstructorParameters<typeof SopsError>[0], m.error.message))
    } else w?.resolve()
  } else if (m.type === "close") {
    for (const s of services) (s as { close?: () => void }).close?.()
    post({ type: "closed" })
    port.close()
  }
})
post({ type: "ready" })
