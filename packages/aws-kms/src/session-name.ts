/**
 * The STS role session name sops uses when it assumes a key's `role`.
 * @module
 */
import { hostname as osHostname } from "node:os"

// sops strips what its class [a-zA-Z0-9=,.@-_] does not allow. "@-_" is a range there
// (0x40-0x5F), so "[", "\\", "]" and "^" survive too; JavaScript reads the class the same way.
const NOT_ALLOWED = /[^a-zA-Z0-9=,.@-_]+/g
/** AWS limit on RoleSessionName. */
const MAX_LENGTH = 64

/**
 * `"sops@" + hostname`, the hostname stripped of characters outside sops' class and the
 * whole name cut to 64 characters (the name is ASCII by then, so characters are bytes).
 * @param hostname - the host name (default: `os.hostname()`)
 * @example
 * ```ts
 * stsSessionName("build host #7.example") // "sops@buildhost7.example"
 * ```
 */
export function stsSessionName(hostname: string = osHostname()): string {
  return `sops@${hostname.replace(NOT_ALLOWED, "")}`.slice(0, MAX_LENGTH)
}
