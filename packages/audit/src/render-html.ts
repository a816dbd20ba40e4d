/**
 * One self-contained HTML page: summary, files-by-keys matrix, a chart of data-key ages and
 * the findings with their fixes. No scripts, no external resources.
 * @module
 */
import type { AuditReport, Severity } from "./model.js"
import { keySummary } from "./render-table.js"

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const SEV_COLOUR: Record<Severity, string> = {
  critical: "#b3001b",
  high: "#e0452b",
  medium: "#d99a00",
  low: "#2b7bb9",
  info: "#6b7280",
}

/** A compact label for a key id in column headers. */
function shortId(id: string): string {
  return id.length > 22 ? `${id.slice(0, 12)}…${id.slice(-8)}` : id
}

function ageChart(report: AuditReport): string {
  const rows = report.files
    .filter((f) => f.encrypted !== undefined && f.encrypted.dataKeyAgeDays !== null)
    .map((f) => ({ path: f.path, age: f.encrypted!.dataKeyAgeDays! }))
    .sort((a, b) => b.age - a.age)
  if (rows.length === 0) return "<p>No encrypted files.</p>"
  const max = report.policy.maxDataKeyAgeDays
  const top = Math.max(max, ...rows.map((r) => r.age), 1)
  const labelW = 260
  const barW = 460
  const rowH = 22
  const h = rows.length * rowH + 30
  const x = (d: number): number => labelW + (d / top) * barW
  const bars = rows
    .map((r, i) => {
      const y = 10 + i * rowH
      const over = max > 0 && r.age > max
      return (
        `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end" class="lbl">${esc(r.path.length > 38 ? "…" + r.path.slice(-37) : r.path)}</text>` +
        `<rect x="${labelW}" y="${y + 3}" width="${Math.max(1, x(r.age) - labelW).toFixed(1)}" height="${rowH - 8}" fill="${over ? SEV_COLOUR.medium : "#3f8f5f"}"><title>${esc(r.path)}: ${r.age} days</title></rect>` +
        `<text x="${(x(r.age) + 4).toFixed(1)}" y="${y + 14}" class="val">${r.age} d</text>`
      )
    })
    .join("")
  const limit =
    max > 0
      ? `<line x1="${x(max).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="4" y2="${h - 18}" stroke="#b3001b" stroke-dasharray="4 3"/><text x="${x(max).toFixed(1)}" y="${h - 4}" text-anchor="middle" class="lbl">max ${max} d</text>`
      : ""
  return `<svg role="img" aria-label="Data-key age per file" width="${labelW + barW + 80}" height="${h}" viewBox="0 0 ${labelW + barW + 80} ${h}">${bars}${limit}</svg>`
}

function matrix(report: AuditReport): string {
  const enc = report.files.filter((f) => f.encrypted !== undefined)
  if (enc.length === 0) return "<p>No encrypted files.</p>"
  const keys = new Map<string, { type: string; id: string }>()
  for (const f of enc) for (const k of f.encrypted!.keyGroups.flat()) keys.set(`${k.type} ${k.id}`, k)
  const cols = [...keys.entries()].sort(([a], [b]) => a.localeCompare(b))
  const head = cols.map(([label, k]) => `<th title="${esc(label)}"><span class="kt">${esc(k.type)}</span><br>${esc(shortId(k.id))}</th>`).join("")
  const body = enc
    .map((f) => {
      const e = f.encrypted!
      const cells = cols
        .map(([label]) => {
          const g = e.keyGroups.findIndex((grp) => grp.some((k) => `${k.type} ${k.id}` === label))
          if (g === -1) return `<td class="no"></td>`
          return `<td class="yes" title="${esc(label)}">●${e.keyGroups.length > 1 ? `<sub>${g + 1}</sub>` : ""}</td>`
        })
        .join("")
      return `<tr><th class="file">${esc(f.path)}</th>${cells}</tr>`
    })
    .join("")
  return `<div class="scroll"><table class="matrix"><thead><tr><th>File</th>${head}</tr></thead><tbody>${body}</tbody></table></div>`
}

function inventory(report: AuditReport): string {
  const rows = report.files
    .map((f) => {
      const e = f.encrypted
      return `<tr><td>${esc(f.path)}</td><td>${esc(f.class)}</td><td>${e ? esc(e.format) : ""}</td><td>${e ? esc(e.sopsVersion || "—") : ""}</td><td>${e ? esc(keySummary(e)) : ""}</td><td>${e ? esc(e.lastModified) : ""}</td><td>${e ? (e.macPresent ? "yes" : "<b>no</b>") : ""}</td><td>${e ? esc(Object.entries(e.selection).map(([k, v]) => `${k}: ${String(v)}`).join(", ")) : ""}</td></tr>`
    })
    .join("")
  return `<table class="inv"><thead><tr><th>File</th><th>Class</th><th>Format</th><th>sops</th><th>Keys</th><th>Last modified</th><th>MAC</th><th>Selection</th></tr></thead><tbody>${rows}</tbody></table>`
}

function findings(report: AuditReport): string {
  if (report.findings.length === 0) return "<p>No findings.</p>"
  return report.findings
    .map(
      (f) => `<div class="finding" data-kind="${esc(f.kind)}" data-severity="${f.severity}">
<div class="fh"><span class="sev" style="background:${SEV_COLOUR[f.severity]}">${f.severity}</span> <code>${esc(f.kind)}</code> <span class="path">${esc(f.file)}${f.line !== undefined ? `:${f.line}` : ""}</span></div>
<p>${esc(f.message)}</p>
<pre class="fix"><code>${esc(f.fix.command)}</code></pre>${f.fix.note !== undefined ? `<p class="note">${esc(f.fix.note)}</p>` : ""}
</div>`,
    )
    .join("\n")
}

/** Renders a report as a self-contained HTML document. */
export function renderHtml(report: AuditReport): string {
  const s = report.summary
  const card = (label: string, value: string | number, cls = ""): string => `<div class="card ${cls}"><div class="num">${esc(String(value))}</div><div>${esc(label)}</div></div>`
  const sevCards = (Object.entries(s.findings) as [Severity, number][])
    .map(([k, n]) => `<div class="card sevcard" style="border-color:${SEV_COLOUR[k]}"><div class="num" style="color:${SEV_COLOUR[k]}">${n}</div><div>${k}</div></div>`)
    .join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>sops audit report</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d1d9}
main{padding:20px 28px;max-width:1200px}section{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px;margin-bottom:18px}
h2{margin:0 0 12px;font-size:17px}.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:90px;text-align:center}
.card .num{font-size:24px;font-weight:600}.sevcard{border-width:2px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left}
.matrix th{font-weight:500;font-size:11px;vertical-align:bottom}.matrix th.file{font-size:13px;white-space:nowrap}.matrix td{text-align:center}
.matrix td.yes{color:#1a7f37;font-size:16px}.kt{font-weight:700}.scroll{overflow-x:auto}
.lbl{font-size:12px;fill:#1f2328}.val{font-size:11px;fill:#57606a}
.finding{border-left:4px solid #d0d7de;padding:6px 12px;margin:10px 0}.finding p{margin:4px 0}
.sev{color:#fff;border-radius:4px;padding:1px 7px;font-size:12px;text-transform:uppercase;font-weight:600}
.path{font-family:ui-monospace,monospace}.fix{background:#0d1117;color:#e6edf3;padding:8px 10px;border-radius:6px;overflow-x:auto;margin:4px 0}
.note{color:#57606a;font-size:12px}
</style></head>
<body>
<header><h1>sops audit report</h1><p>${esc(report.root)} · ${esc(report.source)} · ${esc(report.generatedAt)} · config ${esc(report.sopsConfig ?? "none")} · policy ${esc(report.policyFile ?? "defaults")}</p></header>
<main>
<section id="summary"><h2>Summary</h2><div class="cards">${card("files", s.files)}${card("encrypted", s.encrypted)}${card("plaintext secrets", s.plaintextSecrets)}${card("broken", s.broken)}${sevCards}</div></section>
<section id="matrix"><h2>Files by master key</h2>${matrix(report)}</section>
<section id="ages"><h2>Data-key age (days)</h2>${ageChart(report)}</section>
<section id="findings"><h2>Findings (${report.findings.length})</h2>${findings(report)}</section>
<section id="inventory"><h2>Inventory</h2>${inventory(report)}</section>
</main></body></html>
`
}
