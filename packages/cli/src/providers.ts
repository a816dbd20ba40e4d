/**
 * Key services for a CLI run. age and PGP are built in (PGP loaded on first use); the cloud providers and the remote
 * key-service client live in optional packages that are imported only when a file actually
 * has such a key, so starting the CLI never loads a cloud SDK.
 *
 * Provider package contract: the package exports `keyServiceFromEnv(env)` returning a
 * `KeyService` (or a promise of one). `@sops-ts/keyservice` exports
 * `remoteKeyService(uri, { env })`.
 * @module
 */
import { ageKeyService } from "@sops-ts/age"
import { terminalPluginPrompt } from "./plugin-prompt.js"
import { terminalSshPassphrase } from "./ssh-passphrase-prompt.js"
import { KeyUnavailableError, SopsError, type KeyOperationOptions, type KeyService, type KeyType, type MasterKey, type WrappedKey } from "@sops-ts/core"

type Env = Readonly<Record<string, string | undefined>>

/** The optional provider package of each cloud key type. */
export const PROVIDER_PACKAGES: Readonly<Partial<Record<KeyType, string>>> = {
  kms: "@sops-ts/aws-kms",
  gcp_kms: "@sops-ts/gcp-kms",
  azure_kv: "@sops-ts/azure-kv",
  hc_vault: "@sops-ts/hc-vault",
  // Huawei Cloud KMS (hckms) has no sops-ts provider yet: its keys are kept untouched when a
  // file is rewritten with the same data key, and reported as unsupported when needed.
}

/** The package of the remote key-service client (`--keyservice`). */
export const KEYSERVICE_PACKAGE = "@sops-ts/keyservice"

/** How a module is imported; tests replace it. */
export type Importer = (specifier: string) => Promise<Record<string, unknown>>

const defaultImporter: Importer = (specifier) => import(specifier) as Promise<Record<string, unknown>>

/**
 * A key service that imports its implementation on first use. `supports` answers from the
 * key type alone, so files without such keys never trigger the import.
 */
export function lazyKeyService(
  type: KeyType,
  name: string,
  load: () => Promise<KeyService>,
): KeyService {
  let loaded: Promise<KeyService> | null = null
  const get = (): Promise<KeyService> => {
    loaded ??= load()
    return loaded
  }
  return {
    name,
    supports: (key: MasterKey) => key.type === type,
    async encrypt(key: MasterKey, dataKey: Uint8Array, options?: KeyOperationOptions): Promise<string | WrappedKey> {
      return (await get()).encrypt(key, dataKey, options)
    },
    async decrypt(key: MasterKey, options?: KeyOperationOptions): Promise<Uint8Array | null> {
      return (await get()).decrypt(key, options)
    },
  }
}

function noProvider(what: string, pkg: string, cause: unknown): SopsError {
  return new KeyUnavailableError(`no provider installed for ${what} keys (install ${pkg})`, { cause })
}

async function loadProvider(type: KeyType, pkg: string, env: Env, importer: Importer): Promise<KeyService> {
  let mod: Record<string, unknown>
  try {
    mod = await importer(pkg)
  } catch (cause) {
    throw noProvider(type, pkg, cause)
  }
  const factory = mod["keyServiceFromEnv"]
  if (typeof factory !== "function") {
    throw new SopsError("ERR_KEY_FAILED", `${pkg} does not export keyServiceFromEnv(env); it is not a sops-ts provider package`)
  }
  return (await (factory as (env: Env) => KeyService | Promise<KeyService>)(env)) as KeyService
}

/** Options of {@link buildKeyServices}. */
export interface KeyServicesOptions {
  /** The environment (identities, gpg, cloud credentials are found through it). */
  readonly env: Env
  /** `--enable-local-keyservice` (default true). */
  readonly local?: boolean
  /** `--keyservice` URIs, used after the local services. */
  readonly remote?: readonly string[]
  /** Module loader (tests). */
  readonly importer?: Importer
  /**
   * Where age plugins' messages go, and whether their questions (PIN, touch confirmation)
   * and the passphrases of passphrase-protected SSH keys may be asked on the controlling
   * terminal. Without it plugin requests fail and such SSH keys are not unlocked.
   */
  readonly pluginPrompts?: { readonly messages: { write(text: string): unknown }; readonly terminal: boolean }
}

/**
 * The services sops would use: local ones (age with identity discovery, gpg, lazy cloud
 * providers) then the remote key services in order.
 */
export function buildKeyServices(options: KeyServicesOptions): KeyService[] {
  const importer = options.importer ?? defaultImporter
  const env = options.env
  const out: KeyService[] = []
  if (options.local !== false) {
    const prompts = options.pluginPrompts
    const onPluginPrompt =
      prompts === undefined
        ? undefined
        : terminalPluginPrompt({ messages: prompts.messages, ...(prompts.terminal ? {} : { openTerminal: () => null }) })
    // Passphrase-protected SSH keys are asked for on the terminal, as sops does; without one they do not open.
    const onSshPassphrase =
      prompts === undefined ? undefined : terminalSshPassphrase(prompts.terminal ? {} : { openTerminal: () => null })
    out.push(
      ageKeyService({ discover: { env }, ...(onPluginPrompt ? { onPluginPrompt } : {}), ...(onSshPassphrase ? { onSshPassphrase } : {}) }),
    )
    // openpgp is large: load the PGP package only when a file has a PGP key.
    out.push(lazyKeyService("pgp", "gpg", async () => (await import("@sops-ts/pgp")).pgpDefaultKeyService(env)))
    for (const [type, pkg] of Object.entries(PROVIDER_PACKAGES) as [KeyType, string][]) {
      out.push(lazyKeyService(type, type, () => loadProvider(type, pkg, env, importer)))
    }
  }
  for (const uri of options.remote ?? []) {
    out.push(remoteService(uri, env, importer))
  }
  return out
}

function remoteService(uri: string, env: Env, importer: Importer): KeyService {
  let loaded: Promise<KeyService> | null = null
  const get = (): Promise<KeyService> => {
    loaded ??= (async () => {
      let mod: Record<string, unknown>
      try {
        mod = await importer(KEYSERVICE_PACKAGE)
      } catch (cause) {
        throw noProvider(`remote key service (${uri})`, KEYSERVICE_PACKAGE, cause)
      }
      const factory = mod["remoteKeyService"]
      if (typeof factory !== "function") {
        throw new SopsError("ERR_KEY_FAILED", `${KEYSERVICE_PACKAGE} does not export remoteKeyService(uri, options)`)
      }
      return (await (factory as (u: string, o: { env: Env }) => KeyService | Promise<KeyService>)(uri, { env })) as KeyService
    })()
    return loaded
  }
  return {
    name: `keyservice ${uri}`,
    // A remote service may handle any key type; it says "not mine" itself.
    supports: () => true,
    async encrypt(key, dataKey, options) {
      return (await get()).encrypt(key, dataKey, options)
    },
    async decrypt(key, options) {
      return (await get()).decrypt(key, options)
    },
  }
}
