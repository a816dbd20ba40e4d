/**
 * `sops-ts rekey ...`: the command-line face of {@link rekey}. The CLI mounts it; it only
 * needs streams, the environment, the working directory and the key services.
 * @module
 */
import { resolve } from "node:path"
import { isSopsError, resolveKeyServices, type KeyService } from "@sops-ts/core"
import { parseRekeyArgs, REKEY_USAGE, type RekeyArgs } from "./args.js"
import { ProgressView, type TextSink } from "./progress.js"
import { rekey } from "./rekey.js"
import { describeOutcome, summaryTable, writeReport } from "./report.js"
import type { FileOutcome, RekeyOptions, RekeyResult } from "./types.js"

/** What {@link runRekeyCommand} runs with. */
export interface RekeyCommandIo {
  readonly stdout: TextSink
  readonly stderr: TextSink
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** Draw a progress bar (stderr is a terminal). */
  readonly isTTY: boolean
  /**
   * The key services (the CLI passes its `buildKeyServices({ env })`). Default: the services
   * registered with the core's `registerKeyService`.
   */
  readonly keyServices?: readonly KeyService[]
  /**
   * Stops the run like Ctrl-C. When absent, the command handles SIGINT itself while it
   * runs: the first one finishes the files in flight and stops, a second one exits at once.
   */
  readonly signal?: AbortSignal
  /** Asks a yes/no question (interactive CLI). Without it, changing files requires `-y`. */
  readonly confirm?: (question: string) => Promise<boolean>
}

/** Exit codes of the command. */
export const REKEY_EXIT = { ok: 0, failures: 1, usage: 2, interrupted: 130 } as const

function quietStatus(o: FileOutcome): boolean {
  return o.status === "unchanged" || o.status === "not-sops" || o.status === "done-earlier" || o.status === "cancelled"
}

function optionsFrom(a: RekeyArgs, io: RekeyCommandIo, signal: AbortSignal): RekeyOptions {
  return {
    files: a.paths,
    operation: a.operation,
    cwd: io.cwd,
    keyServices: resolveKeyServices(io.keyServices),
    addKeys: a.addKeys,
    removeKeys: a.removeKeys,
    ...(a.operation === "migrate" ? { migrate: { from: a.from, to: a.to } } : {}),
    rotate: a.rotate,
    ...(a.config !== undefined ? { config: a.config } : {}),
    ...(a.concurrency !== undefined ? { concurrency: a.concurrency } : {}),
    providerLimits: a.providerLimits,
    ...(a.journal !== undefined ? { journal: a.journal } : {}),
    useGit: a.useGit,
    verify: a.verify,
    signal,
  }
}

/**
 * Runs `sops-ts rekey` with `argv` (the arguments after `rekey`).
 * @returns the exit code: 0 all files fine, 1 some failed (each listed, and in `--report`),
 *   2 bad arguments, 130 stopped by Ctrl-C/the signal
 */
export async function runRekeyCommand(argv: string[], io: RekeyCommandIo): Promise<number> {
  let args: RekeyArgs
  try {
    args = parseRekeyArgs(argv)
  } catch (err) {
    io.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\nRun "sops-ts rekey --help" for usage.\n`)
    return REKEY_EXIT.usage
  }
  if (args.help) {
    io.stdout.write(REKEY_USAGE)
    return REKEY_EXIT.ok
  }

  const controller = new AbortController()
  const onExternal = (): void => controller.abort(io.signal?.reason)
  io.signal?.addEventListener("abort", onExternal, { once: true })
  if (io.signal?.aborted) controller.abort(io.signal.reason)
  let interrupts = 0
  const onSigint = (): void => {
    interrupts++
    if (interrupts > 1) process.exit(REKEY_EXIT.interrupted)
    io.stderr.write("\nstopping: finishing the files in flight (Ctrl-C again to quit at once)\n")
    controller.abort()
  }
  if (!io.signal) process.on("SIGINT", onSigint)

  const view = new ProgressView(io.stderr, io.isTTY)
  try {
    const base = optionsFrom(args, io, controller.signal)
    if (!args.dryRun && !args.yes) {
      if (!io.confirm) {
        io.stderr.write("Error: re-keying changes files; pass -y to confirm, or --dry-run to preview\n")
        return REKEY_EXIT.usage
      }
      const preview = await rekey({ ...base, dryRun: true })
      for (const o of preview.files) if (o.status === "planned" || o.status === "failed") io.stdout.write(describeOutcome(o, io.cwd) + "\n")
      if (preview.totals.planned === 0) {
        io.stdout.write("nothing to change\n")
        return preview.totals.failed > 0 ? REKEY_EXIT.failures : REKEY_EXIT.ok
      }
      if (!(await io.confirm(`Re-key ${preview.totals.planned} file(s)?`))) {
        io.stderr.write("cancelled; no file was changed\n")
        return REKEY_EXIT.ok
      }
    }
    const result = await rekey({
      ...base,
      dryRun: args.dryRun,
      onProgress: (p) => {
        const o = p.last
        if (o && (args.verbose || !quietStatus(o))) view.line(describeOutcome(o, io.cwd), io.stdout)
        view.update(p)
      },
    })
    view.clear()
    return await finish(result, args, io)
  } catch (err) {
    view.clear()
    const msg = isSopsError(err) ? err.message : err instanceof Error ? err.message : String(err)
    io.stderr.write(`Error: ${msg}\n`)
    return isSopsError(err, "ERR_INVALID_ARGUMENT") ? REKEY_EXIT.usage : REKEY_EXIT.failures
  } finally {
    io.signal?.removeEventListener("abort", onExternal)
    if (!io.signal) process.removeListener("SIGINT", onSigint)
  }
}

async function finish(result: RekeyResult, args: RekeyArgs, io: RekeyCommandIo): Promise<number> {
  for (const input of result.unmatched) io.stderr.write(`warning: ${JSON.stringify(input)} matched no file\n`)
  io.stdout.write(summaryTable(result) + "\n")
  const failures = result.files.filter((f) => f.status === "failed")
  if (failures.length > 0) {
    io.stderr.write(`${failures.length} file(s) failed:\n`)
    for (const f of failures) io.stderr.write(`  ${describeOutcome(f, io.cwd)}\n`)
  }
  if (args.report !== undefined) {
    await writeReport(resolve(io.cwd, args.report), result)
  }
  if (result.interrupted) return REKEY_EXIT.interrupted
  return failures.length > 0 || result.unmatched.length > 0 ? REKEY_EXIT.failures : REKEY_EXIT.ok
}
