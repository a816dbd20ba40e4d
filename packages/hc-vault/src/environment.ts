/**
 * Vault settings from the environment, the way sops reads them: `VAULT_TOKEN`, else
 * `~/.vault-token`; `VAULT_NAMESPACE`; `SOPS_HC_VAULT_ALLOWLIST`. `VAULT_ADDR` is not used:
 * the address always comes from the key.
 * @module
 */
import { homedir } from "node:os"
import { join } from "node:path"
import type { KeyService } from "@sops-ts/core"
import { parseVaultAllowlist } from "./allowlist.js"
import { vaultTransitKeyService, type VaultTransitOptions } from "./key-service.js"

/** An environment as a plain record (`process.env` fits). */
export type Env = Readonly<Record<string, string | undefined>>

/**
 * The {@link VaultTransitOptions} sops' environment describes.
 * @param env - the variables to read (e.g. `process.env`)
 * @param homeDir - the home directory holding `.vault-token`
 */
export function vaultOptionsFromEnvironment(env: Env, homeDir: string): VaultTransitOptions {
  const token = env["VAULT_TOKEN"]
  const namespace = env["VAULT_NAMESPACE"]
  return {
    ...(token !== undefined && token !== "" ? { token } : { tokenFile: join(homeDir, ".vault-token") }),
    ...(namespace !== undefined && namespace !== "" ? { namespace } : {}),
    allowlist: parseVaultAllowlist(env["SOPS_HC_VAULT_ALLOWLIST"]),
  }
}

/**
 * A Vault transit key service configured from the environment.
 * @param env - the variables to read
 * @param homeDir - the home directory holding `.vault-token`
 * @param overrides - options that win over the environment (timeouts, `fetch`)
 * @throws SopsError `ERR_INVALID_ARGUMENT` for a malformed `SOPS_HC_VAULT_ALLOWLIST`
 */
export function vaultKeyServiceFromEnvironment(env: Env, homeDir: string, overrides: VaultTransitOptions = {}): KeyService {
  return vaultTransitKeyService({ ...vaultOptionsFromEnvironment(env, homeDir), ...overrides })
}

/**
 * The provider-package entry point the CLI calls: {@link vaultKeyServiceFromEnvironment}
 * with the home directory from `HOME` (or the OS).
 */
export function keyServiceFromEnv(env: Env): KeyService {
  const home = env["HOME"] !== undefined && env["HOME"] !== "" ? env["HOME"] : homedir()
  return vaultKeyServiceFromEnvironment(env, home)
}
