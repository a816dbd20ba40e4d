/**
 * Version strings.
 * @module
 */
import { SOPS_VERSION } from "@sops-ts/core"

/** This CLI's version (kept in step with package.json). */
export const CLI_VERSION = "0.1.0"

/** What `--version` prints: sops' format first, so scripts that parse `sops --version` work. */
export function versionText(): string {
  return `sops ${SOPS_VERSION} (sops-ts ${CLI_VERSION})\n`
}
