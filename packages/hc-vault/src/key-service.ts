/**
 * The Vault transit {@link KeyService}: wraps sops data keys with
 * `POST /v1/<engine>/encrypt/<key>` and unwraps them with `.../decrypt/<key>`.
 * @module
 */
import { readFile } from "node:fs/promises"
import {
  KeyUnavailableError,
  SopsError,
  describeKey,
  type HcVaultMasterKey,
  type KeyOperationOptions,
  type KeyService,
  type MasterKey, encodeStdBase64, decodeStdBase64 } from "@sops-ts/core"
import { vaultAllowlist, type VaultAllowlist, type VaultAllowlistInput } from "./allowlist.js"
import { transitCall, toSopsError, type FetchLike } from "./transit.js"

/** Options of {@link vaultTransitKeyService}. Nothing is read from the environment. */
export interface VaultTransitOptions {
  /** The Vault token sent as `X-Vault-Token`. Takes precedence over `tokenFile`. */
  readonly token?: string
  /** A file holding the token (like `~/.vault-token`); read on first use, trimmed. */
  readonly tokenFile?: string
  /** Vault Enterprise namespace, sent as `X-Vault-Namespace`. */
  readonly namespace?: string
  /**
   * Which Vault addresses may be contacted (the address comes from the file): `"all"` (the
   * default, as in sops), `"none"`, or URL prefixes such as `["https://vault.example.org:8200"]`.
   */
  readonly allowlist?: VaultAllowlistInput
  /** The `fetch` to use (default: the global one). Inject one for custom TLS or proxies. */
  readonly fetch?: FetchLike
  /** Deadline of one operation, retries included (default 30 000 ms). */
  readonly timeoutMs?: number
  /** Attempts for throttled (429) and transient (5xx, 412) answers (default 3). */
  readonly maxAttempts?: number
  /** First retry delay, doubled each retry (default 250 ms). */
  readonly retryDelayMs?: number
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_ATTEMPTS = 3
const DEFAULT_RETRY_DELAY_MS = 250

/** Path segments of the file's key must stay inside the transit engine they name. */
function safeSegments(path: string, what: string, key: HcVaultMasterKey): string[] {
  const segments = path.split("/")
  for (const s of segments) {
    if (s === "" || s === "." || s === "..") {
      throw new SopsError("ERR_KEY_FAILED", `${describeKey(key)}: invalid ${what} ${JSON.stringify(path)}`)
    }
  }
  return segments.map(encodeURIComponent)
}

function checkAddress(key: HcVaultMasterKey, code: "ERR_KEY_FAILED" | "ERR_KEY_WRAP"): string {
  let u: URL
  try {
    u = new URL(key.vaultAddress)
  } catch {
    throw new SopsError(code, `${describeKey(key)}: vault_address ${JSON.stringify(key.vaultAddress)} is not a URL`)
  }
  const bare = (u.protocol === "http:" || u.protocol === "https:") && u.username === "" && u.password === "" && u.search === "" && u.hash === "" && (u.pathname === "/" || u.pathname === "")
  if (!bare || key.vaultAddress.endsWith("/")) {
    throw new SopsError(code, `${describeKey(key)}: vault_address ${JSON.stringify(key.vaultAddress)} must be scheme://host[:port]`)
  }
  return key.vaultAddress
}

/**
 * Creates the Vault transit key service.
 *
 * @example
 * ```ts
 * const vault = vaultTransitKeyService({ token: process.env.VAULT_TOKEN, allowlist: ["https://vault.example.org:8200"] })
 * const plain = await decrypt(bytes, { format: "yaml", keyServices: [vault] })
 * ```
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an invalid allowlist or limits
 */
export function vaultTransitKeyService(options: VaultTransitOptions = {}): KeyService {
  const allowlist: VaultAllowlist = vaultAllowlist(options.allowlist ?? "all")
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const maxAttempts = options.maxAttempts ?? DEFAULT_ATTEMPTS
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS
  if (!(timeoutMs > 0) || !Number.isInteger(maxAttempts) || maxAttempts < 1 || !(retryDelayMs >= 0)) {
    throw new SopsError("ERR_INVALID_ARGUMENT", "vaultTransitKeyService: timeoutMs must be > 0, maxAttempts an integer >= 1, retryDelayMs >= 0")
  }
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init))
  let tokenPromise: Promise<string> | undefined

  // Cached once found; a missing token file is looked for again on the next call, so a
  // long-running process picks up a later `vault login`.
  const token = (): Promise<string> => {
    tokenPromise ??= (async () => {
      if (options.token !== undefined && options.token !== "") return options.token
      if (options.tokenFile !== undefined) {
        try {
          const t = (await readFile(options.tokenFile, "utf8")).trim()
          if (t !== "") return t
        } catch {
          // A missing or unreadable token file means "no credential", reported by the caller.
        }
      }
      tokenPromise = undefined
      return ""
    })()
    return tokenPromise
  }

  async function call(
    key: MasterKey,
    op: "encrypt" | "decrypt",
    body: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, unknown>> {
    const code = op === "encrypt" ? "ERR_KEY_WRAP" : "ERR_KEY_FAILED"
    if (key.type !== "hc_vault") throw new KeyUnavailableError(`${describeKey(key)} is not a Vault transit key`)
    const address = checkAddress(key, code)
    const engine = safeSegments(key.enginePath, "engine_path", key)
    const [name] = safeSegments(key.keyName, "key_name", key)
    if (engine.length === 0 || name === undefined || key.keyName.includes("/")) {
      throw new SopsError(code, `${describeKey(key)}: invalid key_name ${JSON.stringify(key.keyName)}`)
    }
    // Checked before anything else touches the network: the address comes from the file.
    if (!allowlist.allows(address)) {
      throw new SopsError(
        code,
        `${describeKey(key)}: the Vault address ${address} is not allowed by SOPS_HC_VAULT_ALLOWLIST (${allowlist.description}); no request was sent`,
        { details: { reason: "refused", address } },
      )
    }
    const t = await token()
    if (t === "") {
      throw new KeyUnavailableError(`${describeKey(key)}: no Vault token configured (set VAULT_TOKEN or write ~/.vault-token)`)
    }
    try {
      return await transitCall({
        address,
        path: [...engine, op, name].join("/"),
        body,
        token: t,
        namespace: options.namespace,
        allowlist,
        fetch: fetchFn,
        timeoutMs,
        maxAttempts,
        retryDelayMs,
        signal,
      })
    } catch (err) {
      throw toSopsError(err, code, `${op} with ${describeKey(key)} failed`)
    }
  }

  return {
    name: "hc_vault",
    supports: (key) => key.type === "hc_vault",
    async encrypt(key: MasterKey, dataKey: Uint8Array, opts?: KeyOperationOptions): Promise<string> {
      const data = await call(key, "encrypt", { plaintext: encodeStdBase64(dataKey) }, opts?.signal)
      const ciphertext = data["ciphertext"]
      if (typeof ciphertext !== "string" || ciphertext === "") {
        throw new SopsError("ERR_KEY_WRAP", `encrypt with ${describeKey(key)} failed: Vault's answer has no ciphertext`)
      }
      return ciphertext
    },
    async decrypt(key: MasterKey, opts?: KeyOperationOptions): Promise<Uint8Array | null> {
      if (key.type === "hc_vault" && key.enc === "") {
        throw new SopsError("ERR_KEY_FAILED", `${describeKey(key)}: the key has no wrapped data key (enc is empty)`)
      }
      const data = await call(key, "decrypt", { ciphertext: key.enc }, opts?.signal)
      const plaintext = data["plaintext"]
      const bytes = typeof plaintext === "string" ? decodeStdBase64(plaintext) : null
      if (bytes === null) {
        throw new SopsError("ERR_KEY_FAILED", `decrypt with ${describeKey(key)} failed: Vault's answer has no base64 plaintext`)
      }
      return bytes
    },
  }
}
