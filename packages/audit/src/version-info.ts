/**
 * The audit tool's version, reported in JSON and SARIF output.
 * @module
 */

/** Version of `@sops-ts/audit`. */
export const AUDIT_VERSION = "0.1.0"
