/**
 * The bulk re-key run: select files, then process them with a bounded pool of workers that
 * share per-provider limits on key-service calls. Stopping (the signal) ends scheduling;
 * files already in flight finish, so no file is left half done.
 * @module
 */
import { createHash } from "node:crypto"
import { resolve } from "node:path"
import {
  SopsError,
  emitSopsEvent,
  findConfigFile,
  formatForPath,
  keyId,
  loadConfig,
  resolveKeyServices,
  type SopsConfig,
} from "@sops-ts/core"
import { fileContext } from "./context.js"
import { Journal } from "./journal.js"
import { processFile } from "./process-file.js"
import { selectFiles } from "./select.js"
import { runInWorkers, validateWorkerOptions } from "./worker-pool.js"
import { REKEY_OPERATIONS, type FileOutcome, type FileStatus, type RekeyOptions, type RekeyProgress, type RekeyResult, type RekeyTotals } from "./types.js"

/** Default number of files in flight. Key services are network-bound, so this is well above the core count. */
export const DEFAULT_CONCURRENCY = 64

/**
 * Tells the core's event listeners (audit log, metrics) about each file that was re-keyed or
 * failed; dry runs and untouched files are not events.
 */
function reportEvent(out: FileOutcome, dryRun: boolean): void {
  if (dryRun || (out.status !== "updated" && out.status !== "failed")) return
  emitSopsEvent(out.rotated ? "rotate" : "rekey", out.path, formatForPath(out.path), {
    ok: out.status === "updated",
    durationMs: out.durationMs,
    ...(out.error ? { errorCode: out.error.code } : {}),
  })
}

function emptyTotals(): RekeyTotals {
  return { updated: 0, unchanged: 0, planned: 0, "done-earlier": 0, "not-sops": 0, failed: 0, cancelled: 0 }
}

/**
 * A fingerprint of what the run does, so a journal is only reused for the same job. For
 * `updatekeys` it covers the `.sops.yaml` rules too: after the rules change, files recorded
 * as done (or unchanged) are looked at again.
 */
export function runFingerprint(o: RekeyOptions, config: SopsConfig | null = null): string {
  const ids = (keys: readonly { type: string }[] | undefined): string[] =>
    (keys ?? []).map((k) => `${k.type} ${keyId(k as Parameters<typeof keyId>[0])}`).sort()
  const spec = {
    operation: o.operation,
    rotate: o.rotate === true,
    add: ids(o.addKeys),
    remove: ids(o.removeKeys),
    from: [...(o.migrate?.from ?? [])].sort(),
    to: ids(o.migrate?.to),
    rules: o.operation === "updatekeys" ? configDigest(config) : null,
  }
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 16)
}

function configDigest(config: SopsConfig | null): string | null {
  if (config === null) return null
  try {
    return createHash("sha256")
      .update(JSON.stringify(config.data, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)))
      .digest("hex")
  } catch {
    return config.path
  }
}

function validate(o: RekeyOptions): void {
  if (!REKEY_OPERATIONS.includes(o.operation)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", `unknown operation ${JSON.stringify(o.operation)}; use one of ${REKEY_OPERATIONS.join(", ")}`)
  }
  if (o.operation === "add" && (o.addKeys ?? []).length === 0) throw new SopsError("ERR_INVALID_ARGUMENT", "add: no keys to add were given")
  if (o.operation === "remove" && (o.removeKeys ?? []).length === 0) throw new SopsError("ERR_INVALID_ARGUMENT", "remove: no keys to remove were given")
  if (o.operation === "migrate" && (!o.migrate || o.migrate.from.length === 0 || o.migrate.to.length === 0)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "migrate: give the key types to replace (from) and at least one key to replace them with (to)")
  }
  if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency >= 1)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", `concurrency must be a positive integer, not ${String(o.concurrency)}`)
  }
  validateWorkerOptions(o)
}

async function configFor(o: RekeyOptions, cwd: string): Promise<SopsConfig | null> {
  if (o.config !== undefined && typeof o.config !== "string") return o.config
  const path = typeof o.config === "string" ? resolve(cwd, o.config) : await findConfigFile(cwd)
  return path === null ? null : loadConfig(path)
}

/**
 * Re-keys every sops file among `options.files`.
 *
 * Each file is written atomically (temp file, fsync, rename, mode and owner kept), so a crash
 * leaves it either old or new, both decryptable. A failure on one file is recorded in its
 * outcome and never stops the others. Non-sops files are skipped.
 *
 * @example
 * ```ts
 * const result = await rekey({
 *   files: ["secrets/"],
 *   operation: "add",
 *   addKeys: [newAgeKey("age1...")],
 *   keyServices: [ageKeyService({ identities: [identity] })],
 *   journal: ".rekey-journal.jsonl",
 * })
 * if (result.totals.failed > 0) console.error(result.files.filter((f) => f.status === "failed"))
 * ```
 * @throws SopsError `ERR_INVALID_ARGUMENT` for bad options, `ERR_CONFIG` for an unreadable
 *   `.sops.yaml`, `ERR_IO` when the journal cannot be opened; per-file errors are outcomes
 */
export async function rekey(options: RekeyOptions): Promise<RekeyResult> {
  validate(options)
  const startedAt = new Date()
  const t0 = performance.now()
  const cwd = resolve(options.cwd ?? process.cwd())
  const dryRun = options.dryRun === true
  const config = await configFor(options, cwd)
  if (options.operation === "updatekeys" && config === null) {
    throw new SopsError("ERR_CONFIG", `updatekeys needs a .sops.yaml: none was found in ${cwd} or its parents (pass config)`)
  }
  const selection = await selectFiles(options.files, { cwd, ...(options.useGit === false ? { useGit: false } : {}) })
  const files = selection.files
  const journal = options.journal && !dryRun ? await Journal.open(resolve(cwd, options.journal), runFingerprint(options, config)) : null

  const workers = Math.min(options.workers ?? 0, files.length)

  const outcomes: (FileOutcome | undefined)[] = new Array(files.length)
  let next = 0
  let finished = 0
  let failed = 0
  let inFlight = 0
  const progress = (last?: FileOutcome): void => {
    if (!options.onProgress) return
    const elapsedMs = performance.now() - t0
    const rate = elapsedMs > 0 ? finished / (elapsedMs / 1000) : 0
    const p: RekeyProgress = {
      total: files.length,
      done: finished,
      failed,
      inFlight,
      elapsedMs,
      rate,
      etaMs: finished > 0 && rate > 0 ? ((files.length - finished) / rate) * 1000 : null,
      ...(last ? { last } : {}),
    }
    try {
      options.onProgress(p)
    } catch {
      // A broken progress display must not break the run.
    }
  }

  const stopped = (): boolean => options.signal?.aborted === true
  const record = (i: number, out: FileOutcome): void => {
    inFlight--
    outcomes[i] = out
    finished++
    if (out.status === "failed") failed++
    reportEvent(out, options.dryRun === true)
    progress(out)
  }
  const worker = async (ctx: ReturnType<typeof fileContext>): Promise<void> => {
    while (!stopped() && next < files.length) {
      const i = next++
      inFlight++
      record(i, await processFile(files[i]!, ctx))
    }
  }

  progress()
  const concurrency = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, files.length || 1))
  try {
    if (workers > 0) {
      await runInWorkers(options, config, journal, files, workers, concurrency, cwd, {
        stopped,
        started: () => inFlight++,
        finished: record,
      })
    } else {
      const ctx = fileContext(options, config, resolveKeyServices(options.keyServices), options.providerLimits, journal)
      await Promise.all(Array.from({ length: concurrency }, () => worker(ctx)))
    }
  } finally {
    await journal?.close()
  }

  const totals = emptyTotals()
  const result: FileOutcome[] = files.map((path, i) => {
    const o = outcomes[i] ?? { path, status: "cancelled" as FileStatus, added: [], removed: [], rotated: false, durationMs: 0 }
    totals[o.status]++
    return o
  })
  return {
    operation: options.operation,
    dryRun,
    interrupted: stopped() && result.some((o) => o.status === "cancelled"),
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    files: result,
    unmatched: selection.unmatched,
    totals,
  }
}
