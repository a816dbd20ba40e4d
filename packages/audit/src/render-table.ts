/**
 * The human-readable report: a summary, the inventory and the findings with their fixes.
 * Colour only when writing to a terminal.
 * @module
 */
import type { AuditReport, EncryptedInfo, Severity } from "./model.js"

const COLOURS: Record<Severity, string> = {
  critical: "\x1b[1;31m",
  high: "\x1b[31m",
  medium: "\x1b[33m",
  low: "\x1b[36m",
  info: "\x1b[2m",
}
const RESET = "\x1b[0m"
const DIM = "\x1b[2m"
const BOLD = "\x1b[1m"

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length)
}

/** A compact key summary: `age×2 pgp×1`. */
export function keySummary(e: EncryptedInfo): string {
  const counts = new Map<string, number>()
  for (const k of e.keyGroups.flat()) counts.set(k.type, (counts.get(k.type) ?? 0) + 1)
  const s = [...counts].map(([t, n]) => `${t}×${n}`).join(" ")
  return e.keyGroups.length > 1 ? `${s} (${e.threshold}/${e.keyGroups.length} groups)` : s
}

/** Renders a report as text. */
export function renderTable(report: AuditReport, options: { readonly colour?: boolean } = {}): string {
  const c = options.colour === true
  const paint = (code: string, s: string): string => (c ? code + s + RESET : s)
  const out: string[] = []
  const s = report.summary
  out.push(
    paint(BOLD, "sops-ts audit") +
      ` of ${report.root}${report.source === "staged" ? " (staged changes)" : ""}: ${s.files} files, ${s.encrypted} encrypted, ${s.plaintextSecrets} plaintext secret(s), ${s.broken} broken`,
  )
  out.push(`config: ${report.sopsConfig ?? "(no .sops.yaml)"}   policy: ${report.policyFile ?? "(defaults)"}`)
  out.push("")
  const enc = report.files.filter((f) => f.encrypted !== undefined)
  if (enc.length > 0) {
    const w = Math.max(4, ...enc.map((f) => f.path.length))
    out.push(paint(DIM, `${pad("FILE", w)}  ${pad("FORMAT", 6)}  ${pad("SOPS", 7)}  ${pad("AGE(d)", 6)}  MAC  KEYS`))
    for (const f of enc) {
      const e = f.encrypted!
      out.push(
        `${pad(f.path, w)}  ${pad(e.format, 6)}  ${pad(e.sopsVersion || "-", 7)}  ${pad(e.dataKeyAgeDays === null ? "?" : String(e.dataKeyAgeDays), 6)}  ${pad(e.macPresent ? "yes" : "NO", 3)}  ${keySummary(e)}`,
      )
    }
    out.push("")
  }
  if (report.findings.length === 0) {
    out.push("no findings")
  } else {
    for (const f of report.findings) {
      out.push(`${paint(COLOURS[f.severity], pad(f.severity.toUpperCase(), 8))}  ${f.kind}  ${f.file}${f.line !== undefined ? `:${f.line}` : ""}`)
      out.push(`          ${f.message}`)
      out.push(`          ${paint(BOLD, "fix:")} ${f.fix.command}`)
      if (f.fix.note !== undefined) out.push(`          ${paint(DIM, f.fix.note)}`)
    }
  }
  if (report.history !== undefined && report.history.length > 0) {
    out.push("")
    out.push(paint(BOLD, "history"))
    for (const h of report.history) {
      const rot = h.lastRotation === null ? "never" : `${h.lastRotation.commit.slice(0, 12)} (${h.lastRotation.date})`
      out.push(`  ${h.path}: data key last replaced in ${rot}; ${h.keyChanges.length} key change(s); ${h.plaintextCommits.length} plaintext commit(s)`)
    }
  }
  if (report.verify !== undefined) {
    const bad = report.verify.filter((v) => !v.ok).length
    out.push("")
    out.push(`verify: ${report.verify.length - bad} of ${report.verify.length} file(s) decrypted with a valid MAC`)
  }
  const counts = Object.entries(s.findings)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
  out.push("")
  out.push(`findings: ${counts.length > 0 ? counts.join(", ") : "none"}`)
  return out.join("\n") + "\n"
}
