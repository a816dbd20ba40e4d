/**
 * `sops-ts audit`: the command-line front end of {@link runAudit}, mounted by the CLI.
 * @module
 */
import { resolve } from "node:path"
import { parseArgs } from "node:util"
import { writeFileAtomic, type KeyService } from "@sops-ts/core"
import { exitCodeFor, runAudit } from "./audit.js"
import { SEVERITIES, type Severity } from "./model.js"
import { renderHtml } from "./render-html.js"
import { renderSarif } from "./render-sarif.js"
import { renderTable } from "./render-table.js"

/** Where the command writes and what it knows about its environment. */
export interface AuditCommandIO {
  readonly stdout: { write(s: string): unknown }
  readonly stderr: { write(s: string): unknown }
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** Whether stdout is a terminal (enables colour in the table). */
  readonly isTTY: boolean
  /** Key services for `--verify` (default: the ones registered with core). */
  readonly keyServices?: readonly KeyService[]
}

/** Output formats. */
export type AuditOutputFormat = "table" | "json" | "sarif" | "html"

const FORMATS: readonly AuditOutputFormat[] = ["table", "json", "sarif", "html"]

/** Exit codes: 0 clean, 1 findings at or above `--fail-on`, 2 usage or runtime error. */
export const AUDIT_EXIT = { ok: 0, findings: 1, error: 2 } as const

/** The `--help` text of `sops-ts audit`; the CLI prints it as is. */
export const AUDIT_USAGE = `usage: sops-ts audit [options] [DIRECTORY]

Audits the sops-encrypted files of a repository: inventory, policy, drift, stale data keys,
plaintext secrets. Needs no key unless --verify is given.

options:
  --format table|json|sarif|html   output format (default: table)
  --output FILE                    write the report to FILE instead of stdout
  --policy FILE                    audit policy (default: DIRECTORY/.sops-audit.yaml if present)
  --config FILE                    .sops.yaml to use (default: looked up from DIRECTORY upwards)
  --staged                         audit the files staged in the git index (pre-commit hooks)
  --verify                         also decrypt every file and verify its MAC (needs keys)
  --history                        also read git history: rotations, key changes, plaintext commits
  --fail-on SEVERITY               exit 1 when a finding is at least this severe
                                   (critical|high|medium|low|info; default: policy fail_on, else high)
  --no-color                       never colour the table
  -h, --help                       show this help

exit status: 0 no finding at or above --fail-on, 1 there is one, 2 usage or runtime error
`

/**
 * Runs `sops-ts audit` with `argv` (the arguments after `audit`).
 * @returns the exit code
 */
export async function runAuditCommand(argv: readonly string[], io: AuditCommandIO): Promise<number> {
  let values: Record<string, string | boolean | undefined>
  let positionals: string[]
  try {
    const parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: "string" },
        output: { type: "string", short: "o" },
        policy: { type: "string" },
        config: { type: "string" },
        staged: { type: "boolean" },
        verify: { type: "boolean" },
        history: { type: "boolean" },
        "fail-on": { type: "string" },
        "no-color": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    })
    values = parsed.values
    positionals = parsed.positionals
  } catch (err) {
    io.stderr.write(`sops-ts audit: ${(err as Error).message}\n\n${AUDIT_USAGE}`)
    return AUDIT_EXIT.error
  }
  if (values["help"] === true) {
    io.stdout.write(AUDIT_USAGE)
    return AUDIT_EXIT.ok
  }
  const format = (values["format"] ?? "table") as string
  if (!(FORMATS as readonly string[]).includes(format)) {
    io.stderr.write(`sops-ts audit: --format must be one of ${FORMATS.join(", ")}\n`)
    return AUDIT_EXIT.error
  }
  const failOnFlag = values["fail-on"] as string | undefined
  if (failOnFlag !== undefined && !(SEVERITIES as readonly string[]).includes(failOnFlag)) {
    io.stderr.write(`sops-ts audit: --fail-on must be one of ${SEVERITIES.join(", ")}\n`)
    return AUDIT_EXIT.error
  }
  if (positionals.length > 1) {
    io.stderr.write("sops-ts audit: give at most one directory\n")
    return AUDIT_EXIT.error
  }
  const root = resolve(io.cwd, positionals[0] ?? ".")
  try {
    const report = await runAudit({
      root,
      ...(values["policy"] !== undefined ? { policy: resolve(io.cwd, values["policy"] as string) } : {}),
      ...(values["config"] !== undefined ? { sopsConfig: resolve(io.cwd, values["config"] as string) } : {}),
      staged: values["staged"] === true,
      verify: values["verify"] === true,
      history: values["history"] === true,
      ...(io.keyServices !== undefined ? { keyServices: io.keyServices } : {}),
    })
    const output = values["output"] as string | undefined
    const colour = format === "table" && output === undefined && io.isTTY && values["no-color"] !== true && io.env["NO_COLOR"] === undefined
    const text =
      format === "json" ? JSON.stringify(report, null, 2) + "\n" : format === "sarif" ? renderSarif(report) : format === "html" ? renderHtml(report) : renderTable(report, { colour })
    if (output !== undefined) {
      // Atomic, like every file sops-ts writes: a failed run never leaves half a report.
      await writeFileAtomic(resolve(io.cwd, output), new TextEncoder().encode(text))
      io.stderr.write(`sops-ts audit: wrote ${format} report to ${output} (${report.findings.length} finding(s))\n`)
    } else {
      io.stdout.write(text)
    }
    return exitCodeFor(report, (failOnFlag as Severity | undefined) ?? report.policy.failOn)
  } catch (err) {
    const code = (err as { code?: unknown }).code
    io.stderr.write(`sops-ts audit: ${(err as Error).message}${typeof code === "string" ? ` (${code})` : ""}\n`)
    return AUDIT_EXIT.error
  }
}
