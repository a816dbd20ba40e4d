/**
 * The Azure Key Vault {@link KeyService}: wraps sops data keys with the vault's *encrypt*
 * operation (RSA-OAEP-256) and stores the result as unpadded base64url, as sops does.
 * @module
 */
import type { CryptographyClient, CryptographyClientOptions, KeyClient, KeyVaultKey } from "@azure/keyvault-keys"
import {
  KeyUnavailableError,
  SopsError,
  describeKey,
  type AzureKvMasterKey,
  type KeyOperationOptions,
  type KeyService,
  type MasterKey,
  type WrappedKey,
} from "@sops-ts/core"
import { fromRawBase64Url, toRawBase64Url } from "./base64url.js"
import { azureFailure } from "./errors.js"

/** The credential type the Key Vault clients take (`@azure/core-auth`'s `TokenCredential`). */
export type AzureTokenCredential = ConstructorParameters<typeof KeyClient>[1]

/** Options of {@link azureKeyVaultKeyService}. */
export interface AzureKeyVaultOptions {
  /**
   * The credential. Default: `DefaultAzureCredential` from `@azure/identity`, created on the
   * first operation (environment, workload identity, managed identity, Azure CLI, …).
   */
  readonly credential?: AzureTokenCredential
  /** Options for the SDK clients (TLS agent, API version, proxy…). Retries are set below. */
  readonly clientOptions?: CryptographyClientOptions
  /** Deadline of one operation, retries included (default 30 000 ms). */
  readonly timeoutMs?: number
  /** Attempts for throttled and transient failures (default 3). */
  readonly maxAttempts?: number
  /** First retry delay when the service gives no Retry-After (default 800 ms, the SDK's). */
  readonly retryDelayMs?: number
}

/** The Azure key service; also resolves key versions. */
export interface AzureKeyVaultKeyService extends KeyService {
  /**
   * Returns `key` with its version filled in: unchanged when it has one, else the current
   * version from `getKey` (sops resolves a versionless key URL this way when it reads it).
   * @throws SopsError `ERR_KEY_FAILED` when the key cannot be read
   */
  resolveVersion(key: AzureKvMasterKey, options?: KeyOperationOptions): Promise<AzureKvMasterKey>
}

const ALGORITHM = "RSA-OAEP-256"
const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_ATTEMPTS = 3
const DEFAULT_RETRY_DELAY_MS = 800

type KeysModule = typeof import("@azure/keyvault-keys")

/**
 * Creates the Azure Key Vault key service. The SDK (and `@azure/identity`, when no
 * credential is passed) is imported on first use.
 *
 * @example
 * ```ts
 * import { DefaultAzureCredential } from "@azure/identity"
 * const azure = azureKeyVaultKeyService({ credential: new DefaultAzureCredential() })
 * const plain = await decrypt(bytes, { format: "yaml", keyServices: [azure] })
 * ```
 * @throws SopsError `ERR_INVALID_ARGUMENT` for invalid limits
 */
export function azureKeyVaultKeyService(options: AzureKeyVaultOptions = {}): AzureKeyVaultKeyService {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxAttempts = options.maxAttempts ?? DEFAULT_ATTEMPTS
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS
  if (!(timeoutMs > 0) || !Number.isInteger(maxAttempts) || maxAttempts < 1 || !(retryDelayMs >= 0)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "azureKeyVaultKeyService: timeoutMs must be > 0, maxAttempts an integer >= 1, retryDelayMs >= 0")
  }
  let sdk: Promise<KeysModule> | undefined
  let credential: Promise<AzureTokenCredential> | undefined
  const cryptoClients = new Map<string, CryptographyClient>()
  const keyClients = new Map<string, KeyClient>()

  const loadSdk = (): Promise<KeysModule> => (sdk ??= import("@azure/keyvault-keys"))
  const loadCredential = (): Promise<AzureTokenCredential> => {
    credential ??= options.credential
      ? Promise.resolve(options.credential)
      : import("@azure/identity").then(
          (m) => new m.DefaultAzureCredential(),
          (cause: unknown) => {
            credential = undefined
            throw new KeyUnavailableError("no Azure credential was passed and @azure/identity cannot be loaded; install it or pass `credential`", { cause })
          },
        )
    return credential
  }
  // A fresh object per client: the SDK writes into the options it is given.
  const clientOptions = (): CryptographyClientOptions => ({
    ...options.clientOptions,
    retryOptions: { maxRetries: maxAttempts - 1, retryDelayInMs: retryDelayMs, maxRetryDelayInMs: Math.max(retryDelayMs, 10_000), ...options.clientOptions?.retryOptions },
  })

  async function keyClient(vaultUrl: string): Promise<KeyClient> {
    let c = keyClients.get(vaultUrl)
    if (c === undefined) {
      const [m, cred] = await Promise.all([loadSdk(), loadCredential()])
      c = new m.KeyClient(vaultUrl, cred, clientOptions())
      keyClients.set(vaultUrl, c)
    }
    return c
  }

  async function cryptoClient(key: AzureKvMasterKey & { version: string }): Promise<CryptographyClient> {
    const id = `${key.vaultUrl}/keys/${encodeURIComponent(key.name)}/${encodeURIComponent(key.version)}`
    let c = cryptoClients.get(id)
    if (c === undefined) {
      const [m, cred] = await Promise.all([loadSdk(), loadCredential()])
      // A key reference without key material keeps every operation on the service, as sops
      // does: no extra `get` call, and the key needs only encrypt/decrypt permissions.
      const ref = { id, name: key.name, properties: { id, name: key.name, vaultUrl: key.vaultUrl, version: key.version } } as KeyVaultKey
      c = new m.CryptographyClient(ref, cred, clientOptions())
      cryptoClients.set(id, c)
    }
    return c
  }

  /** Runs one SDK call under the deadline and the caller's signal, mapping failures. */
  async function guarded<T>(
    what: string,
    code: "ERR_KEY_FAILED" | "ERR_KEY_WRAP",
    signal: AbortSignal | undefined,
    run: (abortSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) throw new SopsError("ERR_ABORTED", `${what}: the operation was aborted`, { cause: signal.reason })
    const timeout = AbortSignal.timeout(timeoutMs)
    const abortSignal = signal ? AbortSignal.any([signal, timeout]) : timeout
    try {
      return await run(abortSignal)
    } catch (err) {
      throw azureFailure(err, { what, code, aborted: signal?.aborted === true, timedOut: timeout.aborted, timeoutMs })
    }
  }

  function checkKey(key: MasterKey, code: "ERR_KEY_FAILED" | "ERR_KEY_WRAP"): AzureKvMasterKey {
    if (key.type !== "azure_kv") throw new KeyUnavailableError(`${describeKey(key)} is not an Azure Key Vault key`)
    let u: URL | undefined
    try {
      u = new URL(key.vaultUrl)
    } catch {
      u = undefined
    }
    // The vault URL comes from the file; only an https origin is meaningful (and the SDK
    // would refuse to send a token elsewhere).
    if (u === undefined || u.protocol !== "https:" || `${u.protocol}//${u.host}` !== key.vaultUrl.toLowerCase()) {
      throw new SopsError(code, `${describeKey(key)}: vault_url ${JSON.stringify(key.vaultUrl)} must be https://<host>[:port]`)
    }
    if (key.name === "" || /[/?#]/.test(key.name) || /[/?#]/.test(key.version)) {
      throw new SopsError(code, `${describeKey(key)}: invalid key name or version`)
    }
    return key
  }

  async function resolveVersion(key: AzureKvMasterKey, opts?: KeyOperationOptions): Promise<AzureKvMasterKey> {
    checkKey(key, "ERR_KEY_FAILED")
    if (key.version !== "") return key
    const what = `resolving the current version of ${describeKey(key)} failed`
    const version = await guarded(what, "ERR_KEY_FAILED", opts?.signal, async (abortSignal) => {
      const k = await (await keyClient(key.vaultUrl)).getKey(key.name, { abortSignal })
      return k.properties.version ?? ""
    })
    if (version === "") throw new SopsError("ERR_KEY_FAILED", `${what}: the service returned no version`)
    return { ...key, version }
  }

  return {
    name: "azure_kv",
    supports: (key) => key.type === "azure_kv",
    resolveVersion,

    /**
     * Wraps `dataKey`. A key without a version is resolved first and returned with the
     * wrapped key, so the file records the concrete version, as sops writes it.
     */
    async encrypt(key: MasterKey, dataKey: Uint8Array, opts?: KeyOperationOptions): Promise<string | WrappedKey> {
      const k = checkKey(key, "ERR_KEY_WRAP")
      let resolved: AzureKvMasterKey
      try {
        resolved = await resolveVersion(k, opts)
      } catch (err) {
        if (err instanceof SopsError && err.code === "ERR_KEY_FAILED") throw new SopsError("ERR_KEY_WRAP", err.message, { cause: err, ...(err.details ? { details: err.details } : {}) })
        throw err
      }
      const result = await guarded(`encrypt with ${describeKey(resolved)} failed`, "ERR_KEY_WRAP", opts?.signal, async (abortSignal) =>
        (await cryptoClient(resolved)).encrypt({ algorithm: ALGORITHM, plaintext: dataKey }, { abortSignal }),
      )
      const enc = toRawBase64Url(result.result)
      return resolved === k ? enc : { key: { ...resolved, enc } }
    },

    async decrypt(key: MasterKey, opts?: KeyOperationOptions): Promise<Uint8Array | null> {
      const k = checkKey(key, "ERR_KEY_FAILED")
      const ciphertext = fromRawBase64Url(k.enc)
      if (ciphertext === null || ciphertext.length === 0) {
        throw new SopsError("ERR_KEY_FAILED", `${describeKey(k)}: enc is not unpadded base64url`)
      }
      const resolved = await resolveVersion(k, opts)
      const result = await guarded(`decrypt with ${describeKey(resolved)} failed`, "ERR_KEY_FAILED", opts?.signal, async (abortSignal) =>
        (await cryptoClient(resolved)).decrypt({ algorithm: ALGORITHM, ciphertext }, { abortSignal }),
      )
      return new Uint8Array(result.result)
    },
  }
}
