/**
 * The Vault address allowlist (`SOPS_HC_VAULT_ALLOWLIST`). The address a Vault key points to
 * comes from the encrypted file, so a hostile file could name a server of its choosing and
 * collect the token; the allowlist is checked before any request is sent.
 * @module
 */
import { SopsError } from "@sops-ts/core"

/** The allowlist as configured: every address, none, or URL prefixes. */
export type VaultAllowlistInput = "all" | "none" | readonly string[]

/** A parsed allowlist. */
export interface VaultAllowlist {
  /** Whether `address` (scheme://host[:port], as stored in the file) may be contacted. */
  allows(address: string): boolean
  /** A short description for error messages (the configured prefixes, never tokens). */
  readonly description: string
}

function withSlash(s: string): string {
  return s.endsWith("/") ? s : s + "/"
}

/**
 * Builds an allowlist. Prefixes get a trailing `/` so that `https://vault.example.org`
 * does not also allow `https://vault.example.org.evil.com`.
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an empty prefix
 */
export function vaultAllowlist(input: VaultAllowlistInput = "all"): VaultAllowlist {
  if (input === "all") return { allows: () => true, description: "all" }
  if (input === "none") return { allows: () => false, description: "none" }
  const prefixes = input.map((raw, i) => {
    const p = raw.trim()
    if (p === "") throw new SopsError("ERR_INVALID_ARGUMENT", `SOPS_HC_VAULT_ALLOWLIST entry ${i + 1} is empty`)
    return withSlash(p)
  })
  return {
    allows: (address) => prefixes.some((p) => withSlash(address).startsWith(p)),
    description: prefixes.join(","),
  }
}

/**
 * Reads the `SOPS_HC_VAULT_ALLOWLIST` syntax: `all` (also when unset or empty), `none`, or
 * comma-separated URL prefixes. Entries are checked by {@link vaultAllowlist}.
 */
export function parseVaultAllowlist(value: string | undefined): VaultAllowlistInput {
  if (value === undefined || value === "" || value === "all") return "all"
  if (value === "none") return "none"
  return value.split(",")
}
