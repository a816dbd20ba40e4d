/**
 * Which metadata `version` values are accepted.
 * @module
 */
import { SopsError } from "../errors.js"

/**
 * Checks the `version` of a file before decrypting it. sops itself refuses anything that is
 * neither `1.x` nor strict semver; we also accept the legacy Python forms (`0.9`, `2.0.9`)
 * whose files decrypt fine, and refuse an empty version and major versions above 3 (a
 * future format this code does not know).
 * @throws SopsError `ERR_VERSION_UNSUPPORTED`
 */
export function checkSupportedVersion(version: string): void {
  const v = version.trim().replace(/^v/, "")
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+][0-9A-Za-z.+-]*)?$/.exec(v)
  if (!m) {
    throw new SopsError(
      "ERR_VERSION_UNSUPPORTED",
      version === ""
        ? "the file's sops metadata has no version; it was not written by sops or was damaged"
        : `the file's sops metadata has version "${version}", which is not a sops version`,
    )
  }
  if (Number(m[1]) > 3) {
    throw new SopsError(
      "ERR_VERSION_UNSUPPORTED",
      `the file was written by sops ${version}, a newer major version than this tool supports (3.x)`,
    )
  }
}
