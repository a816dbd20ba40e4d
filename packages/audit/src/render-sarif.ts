/**
 * SARIF 2.1.0 output for code-scanning services (GitHub, GitLab, Azure DevOps).
 * @module
 */
import { FINDING_KINDS, type AuditReport, type FindingKind, type Severity } from "./model.js"

/** SARIF's levels for our severities. */
const LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  critical: "error",
  high: "error",
  medium: "warning",
  low: "note",
  info: "note",
}

/** GitHub's `security-severity` scores (0-10) for our severities. */
const SCORE: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "1.0" }

/** Renders a report as a SARIF 2.1.0 log (a JSON string). */
export function renderSarif(report: AuditReport): string {
  const kinds = Object.keys(FINDING_KINDS) as FindingKind[]
  const rules = kinds.map((id) => ({
    id,
    name: id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
    shortDescription: { text: FINDING_KINDS[id].title },
    defaultConfiguration: { level: LEVEL[FINDING_KINDS[id].severity] },
    helpUri: "https://github.com/sops-ts/sops-ts/blob/main/docs/audit.md#finding-kinds",
    properties: { tags: ["security", "secrets", "sops"], "security-severity": SCORE[FINDING_KINDS[id].severity] },
  }))
  const results = report.findings.map((f) => ({
    ruleId: f.kind,
    ruleIndex: kinds.indexOf(f.kind),
    level: LEVEL[f.severity],
    message: { text: `${f.message}. Fix: ${f.fix.command}${f.fix.note !== undefined ? ` (${f.fix.note})` : ""}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: encodeURI(f.file), uriBaseId: "%SRCROOT%" },
          ...(f.line !== undefined ? { region: { startLine: f.line } } : {}),
        },
        ...(f.location !== undefined ? { logicalLocations: [{ fullyQualifiedName: f.location, kind: "member" }] } : {}),
      },
    ],
    partialFingerprints: { "sopsAudit/v1": `${f.kind}:${f.file}:${f.location ?? ""}` },
    properties: { severity: f.severity, fixCommand: f.fix.command, ...(f.fix.note !== undefined ? { fixNote: f.fix.note } : {}) },
  }))
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "sops-ts-audit",
            semanticVersion: report.tool.version,
            informationUri: "https://github.com/sops-ts/sops-ts",
            rules,
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: "file://" + encodeURI(report.root.endsWith("/") ? report.root : report.root + "/") } },
        invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
        results,
      },
    ],
  }
  return JSON.stringify(log, null, 2) + "\n"
}
