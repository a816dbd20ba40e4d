/**
 * Keeps notices that dependencies address to their own developers off the CLI's stderr.
 *
 * `sops-ts` stands in for `sops` in scripts, Helm plugins and CI logs, where stderr carries
 * only what sops itself would say. The AWS SDK emits a multi-line `NodeVersionSupportWarning`
 * on Node < 22 the first time a client is built (its releases from January 2027 need Node 22);
 * it tells a CLI user nothing about their secrets. docs/providers/aws-kms.md states the
 * Node 20 support window instead. Every other process warning still prints.
 * @module
 */

/** Warning names (the text before the first colon of the message) that the CLI drops. */
const QUIET = new Set(["NodeVersionSupportWarning"])

function warningName(warning: unknown): string {
  const text = typeof warning === "string" ? warning : warning instanceof Error ? warning.message : ""
  const colon = text.indexOf(":")
  return colon > 0 ? text.slice(0, colon) : ""
}

/** Installs the filter on `proc.emitWarning` (once; later calls do nothing). */
export function quietDependencyNotices(proc: NodeJS.Process): void {
  const original = proc.emitWarning as ((...args: unknown[]) => void) & { quiet?: true }
  if (original.quiet) return
  const filtered = Object.assign(
    function emitWarning(this: unknown, warning: unknown, ...rest: unknown[]): void {
      if (QUIET.has(warningName(warning))) return
      original.call(proc, warning, ...rest)
    },
    { quiet: true as const },
  )
  proc.emitWarning = filtered as NodeJS.Process["emitWarning"]
}
