/**
 * One file, start to finish: read, recognise, plan, re-key, write atomically, journal. Every
 * failure becomes an outcome; nothing here throws, so one bad file never stops a run.
 * @module
 */
import { readFileSync, statSync } from "node:fs"
import {
  SopsError,
  formatForPath,
  isSopsError,
  parseEncrypted,
  readFileBytes,
  writeFileAtomic,
  type Format,
  type StoreOptions,
} from "@sops-ts/core"
import { applyPlan, type ApplyContext } from "./apply.js"
import { looksLikeSopsFile } from "./detect.js"
import { sha256Hex, type JournalSink } from "./journal.js"
import { planFile, type FilePlan, type PlanInput } from "./plan.js"
import type { FileOutcome, FileStatus } from "./types.js"

/** Everything a file needs from its run. */
export interface FileContext {
  readonly plan: PlanInput
  readonly apply: Omit<ApplyContext, "storeOptions">
  readonly storeOptionsFor: (format: Format) => StoreOptions
  readonly dryRun: boolean
  readonly journal: JournalSink | null
}

function errorOf(err: unknown): { code: string; message: string } {
  if (isSopsError(err)) return { code: err.code, message: err.message }
  // Anything else is a bug or an unexpected system error; keep its message, never its data.
  return { code: "ERR_INTERNAL", message: err instanceof Error ? err.message : String(err) }
}

function outcome(
  path: string,
  status: FileStatus,
  started: number,
  extra: Partial<Omit<FileOutcome, "path" | "status" | "durationMs">> = {},
  plan?: FilePlan,
): FileOutcome {
  return {
    path,
    status,
    added: plan?.added ?? [],
    removed: plan?.removed ?? [],
    rotated: plan?.rotate ?? false,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    ...extra,
  }
}

/**
 * Inode, size, mtime and ctime: changes whenever the file is rewritten or replaced, and costs
 * one stat instead of reading and hashing the file again. (A `bigint` stat would give whole
 * nanoseconds but costs ten times as much; the float milliseconds keep microseconds.)
 *
 * Synchronous on purpose, like {@link readSmallFile}: a stat answered from the inode cache
 * takes microseconds, while the promise version's thread-pool round trip costs about ten
 * times the CPU, which is what limits a run of thousands of files.
 */
function fileIdentity(path: string): { readonly id: string; readonly size: number } {
  try {
    const st = statSync(path)
    return { id: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`, size: st.size }
  } catch (cause) {
    throw new SopsError("ERR_IO", `cannot stat ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause })
  }
}

/**
 * Reads a file synchronously. sops files are small (kilobytes), and `readFile` from
 * `fs/promises` makes several thread-pool round trips per file, which costs ten times the
 * CPU of the read itself. Files above 1 MiB are read asynchronously so that a stray large
 * file cannot stall the other files in flight.
 */
async function readSmallFile(path: string, size: number): Promise<Uint8Array> {
  if (size > 1 << 20) return readFileBytes(path)
  try {
    const b = readFileSync(path)
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  } catch {
    // Same errors and messages as everywhere else.
    return readFileBytes(path)
  }
}

/** Processes one file. Never throws. */
export async function processFile(path: string, ctx: FileContext): Promise<FileOutcome> {
  const started = performance.now()
  let plan: FilePlan | undefined
  let hashBefore: string | undefined
  try {
    const identity = fileIdentity(path)
    const bytes = await readSmallFile(path, identity.size)
    const format = formatForPath(path)
    if (!looksLikeSopsFile(bytes, format)) return outcome(path, "not-sops", started)
    hashBefore = sha256Hex(bytes)
    if (ctx.journal?.isDone(path, hashBefore)) return outcome(path, "done-earlier", started, { hashBefore, hashAfter: hashBefore })
    const storeOptions = ctx.storeOptionsFor(format)
    let doc
    try {
      doc = parseEncrypted(bytes, format, storeOptions)
    } catch (err) {
      if (isSopsError(err, "ERR_METADATA_MISSING")) return outcome(path, "not-sops", started)
      throw err
    }
    plan = planFile(doc.metadata, path, ctx.plan)
    if (!plan.changed) {
      if (ctx.journal && !ctx.dryRun) await ctx.journal.record({ file: path, state: "unchanged", before: hashBefore, after: hashBefore })
      return outcome(path, "unchanged", started, { hashBefore, hashAfter: hashBefore }, plan)
    }
    if (ctx.dryRun) return outcome(path, "planned", started, { hashBefore }, plan)
    const output = await applyPlan(doc, format, plan, { ...ctx.apply, storeOptions })
    const hashAfter = sha256Hex(output)
    // Someone may have edited the file while its keys were being fetched; never clobber that.
    if (fileIdentity(path).id !== identity.id) {
      throw new SopsError("ERR_IO", "the file changed while it was being re-keyed; it was left as is, run again to re-key it")
    }
    if (ctx.journal && plan.rotate) await ctx.journal.record({ file: path, state: "intent", before: hashBefore, after: hashAfter })
    await writeFileAtomic(path, output)
    if (ctx.journal) await ctx.journal.record({ file: path, state: "done", before: hashBefore, after: hashAfter })
    return outcome(path, "updated", started, { hashBefore, hashAfter }, plan)
  } catch (err) {
    const error = errorOf(err)
    if (ctx.journal && !ctx.dryRun && hashBefore !== undefined) {
      await ctx.journal.record({ file: path, state: "failed", before: hashBefore }).catch(() => undefined)
    }
    return outcome(path, "failed", started, { error, ...(hashBefore ? { hashBefore } : {}) }, plan)
  }
}
