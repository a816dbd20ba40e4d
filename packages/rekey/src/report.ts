/**
 * Presenting a run: one line per file (plan or result), the summary table, and the JSON
 * report written with `--report`.
 * @module
 */
import { relative } from "node:path"
import { writeFileAtomic } from "@sops-ts/core"
import type { FileOutcome, FileStatus, KeyChange, RekeyResult } from "./types.js"

/** Version of the JSON report layout. */
export const REPORT_VERSION = 1

/** The path as shown to people: relative to `cwd` when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path)
  return rel === "" || rel.startsWith("..") ? path : rel
}

function changeText(sign: string, c: KeyChange, multiGroup: boolean): string {
  return `${sign}${c.type} ${c.id}${multiGroup ? ` (group ${c.group + 1})` : ""}`
}

/**
 * One line describing a file's outcome, e.g.
 * `planned  secrets/a.yaml: +age age1..., -pgp 85D7..., rotate`.
 */
export function describeOutcome(o: FileOutcome, cwd: string): string {
  const multi = [...o.added, ...o.removed].some((c) => c.group > 0)
  const parts = [...o.added.map((c) => changeText("+", c, multi)), ...o.removed.map((c) => changeText("-", c, multi))]
  if (o.rotated) parts.push("new data key")
  let tail = parts.length > 0 ? `: ${parts.join(", ")}` : ""
  if (o.status === "failed" && o.error) tail = `: ${o.error.code}: ${o.error.message.split("\n").join("\n    ")}`
  return `${o.status.padEnd(12)} ${displayPath(o.path, cwd)}${tail}`
}

const ORDER: readonly FileStatus[] = ["updated", "planned", "unchanged", "done-earlier", "not-sops", "failed", "cancelled"]

/** The summary table: count per status, total, wall time and rate. */
export function summaryTable(r: RekeyResult): string {
  const rows: [string, string][] = ORDER.filter((s) => r.totals[s] > 0 || s === "failed").map((s) => [s, String(r.totals[s])])
  rows.push(["total", String(r.files.length)])
  const secs = r.durationMs / 1000
  const sops = r.files.length - r.totals["not-sops"]
  rows.push(["time", `${secs.toFixed(2)} s`])
  if (secs > 0) rows.push(["rate", `${(sops / secs).toFixed(1)} files/s`])
  const w = Math.max(...rows.map(([k]) => k.length))
  const v = Math.max(...rows.map(([, x]) => x.length))
  const line = `+${"-".repeat(w + 2)}+${"-".repeat(v + 2)}+`
  const body = rows.map(([k, x]) => `| ${k.padEnd(w)} | ${x.padStart(v)} |`)
  const title = `rekey ${r.operation}${r.dryRun ? " (dry run)" : ""}${r.interrupted ? " (interrupted)" : ""}`
  return [title, line, ...body, line].join("\n")
}

/** The JSON report: the whole result plus a version field. */
export function reportJson(r: RekeyResult): string {
  return JSON.stringify({ version: REPORT_VERSION, ...r }, null, 2) + "\n"
}

/** Writes the JSON report atomically. @throws SopsError `ERR_IO` */
export async function writeReport(path: string, r: RekeyResult): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(reportJson(r)))
}
