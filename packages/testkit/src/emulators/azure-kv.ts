/**
 * A loopback Azure Key Vault emulator (HTTPS) serving key `encrypt`, `decrypt` and `get`,
 * for tests that drive the real `@azure/keyvault-keys` SDK.
 *
 * It checks what Key Vault checks: the `api-version` query parameter (missing or unknown →
 * 400 `BadParameter`), the bearer token with the challenge flow the SDK relies on (a request
 * without a token, or with a wrong one, gets 401 and
 * `WWW-Authenticate: Bearer authorization="…", resource="https://vault.azure.net"`), key
 * names and versions (404 `KeyNotFound`), per-key access (403 `Forbidden`) and the algorithm.
 * Keys are real RSA-2048 keys; encryption is RSA-OAEP-256 with node:crypto, so a ciphertext
 * opens only with the key version that made it. Errors use Key Vault's
 * `{"error": {"code", "message"}}` shape. Faults: throttling N times (429 with
 * `Retry-After`, or 503), per-response latency, `stop()`.
 *
 * TLS: a throwaway self-signed certificate for `<vault>.vault.azure.net`, `localhost` and
 * `127.0.0.1`. {@link AzureKvEmulator.agent} trusts it and resolves the vault's host name to
 * 127.0.0.1, so clients use a realistic vault URL and keep the SDK's challenge-resource check
 * on, without touching `NODE_TLS_REJECT_UNAUTHORIZED`.
 *
 * @example
 * ```ts
 * const kv = await startAzureKvEmulator()
 * const svc = azureKeyVaultKeyService({ credential: kv.credential, clientOptions: { agent: kv.agent } })
 * const key = newAzureKvKey(kv.vaultUrl, "sops", kv.keyVersion("sops"))
 * await kv.stop()
 * ```
 * @module
 */
import { constants, generateKeyPair, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from "node:crypto"
import { lookup as dnsLookup } from "node:dns"
import { Agent, createServer } from "node:https"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { AddressInfo, LookupFunction } from "node:net"
import { sameText } from "./same-text.js"
import { createSelfSignedCert } from "./self-signed-cert.js"

/** The token the emulator accepts unless `token` is given. */
export const TEST_AZURE_TOKEN = "emulator-access-token-for-vault.azure.net"

/** The audience Key Vault tokens are issued for. */
export const AZURE_KV_RESOURCE = "https://vault.azure.net"

/** API versions the emulator accepts (the SDK's default is the last). */
export const AZURE_KV_API_VERSIONS: readonly string[] = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"]

/** A key of the emulated vault. */
export interface EmulatedAzureKey {
  readonly name: string
  /** The caller has no encrypt/decrypt/get permission on this key (403). */
  readonly denied?: boolean
}

/** Options of {@link startAzureKvEmulator}. */
export interface AzureKvEmulatorOptions {
  /** The vault name: the vault URL is `https://<name>.vault.azure.net:<port>` (default `sops-test`). */
  readonly vaultName?: string
  /** The accepted bearer token (default {@link TEST_AZURE_TOKEN}). */
  readonly token?: string
  /** Tenant named in the challenge (default a fixed GUID). */
  readonly tenantId?: string
  /** Keys (default: one key `sops`). */
  readonly keys?: readonly EmulatedAzureKey[]
  /** Delay before every response in ms (default 0). */
  readonly latencyMs?: number
  /** `Retry-After` seconds sent with 429 (default 0). */
  readonly retryAfterSeconds?: number
}

/** One request the emulator answered (for assertions; holds no key material). */
export interface AzureKvCall {
  readonly method: string
  /** Path without the query, e.g. `/keys/sops/0123…/encrypt`. */
  readonly path: string
  /** The `api-version` query parameter ("" when absent). */
  readonly apiVersion: string
  /** The `Host` header. */
  readonly host: string
  /** Whether the request carried the accepted bearer token. */
  readonly authorized: boolean
  /** The `alg` of encrypt/decrypt requests. */
  readonly algorithm?: string
  readonly status: number
}

/** A `TokenCredential` (structurally) that hands out the emulator's token. */
export interface EmulatorCredential {
  /** Returns the accepted token for the Key Vault scope, a token for another audience otherwise. */
  getToken(scopes: string | string[], options?: { readonly tenantId?: string }): Promise<{ token: string; expiresOnTimestamp: number }>
  /** Every token request: scopes and the tenant the challenge named. */
  readonly requests: { readonly scopes: readonly string[]; readonly tenantId: string | undefined }[]
}

/** A running emulator. */
export interface AzureKvEmulator {
  /** `https://<vault>.vault.azure.net:<port>`; reachable through {@link agent}. */
  readonly vaultUrl: string
  /** `https://127.0.0.1:<port>` (the SDK then needs `disableChallengeResourceVerification`). */
  readonly loopbackUrl: string
  /** The TLS certificate to trust (PEM). */
  readonly caPem: string
  /** An HTTPS agent trusting {@link caPem} and resolving the vault host to 127.0.0.1. */
  readonly agent: Agent
  /** The accepted bearer token. */
  readonly token: string
  /** A credential returning {@link token} for the Key Vault scope. */
  readonly credential: EmulatorCredential
  /** Every request answered so far, in order. */
  readonly calls: readonly AzureKvCall[]
  /** The current version of a key. */
  keyVersion(name: string): string
  /** Adds a key (async: generates an RSA key pair). */
  addKey(key: EmulatedAzureKey): Promise<void>
  /** Adds a new version of a key and returns it. */
  rotateKey(name: string): Promise<string>
  /** The next `n` authenticated calls get `status` (429 with Retry-After, or 503). */
  throttle(n: number, status?: 429 | 503): void
  /** Sets the delay before every response. */
  setLatency(ms: number): void
  /** Closes the port and every connection; later calls get connection refused. */
  stop(): Promise<void>
}

interface KeyVersion {
  readonly version: string
  readonly privateKey: KeyObject
  readonly publicJwk: { n: string; e: string }
  readonly created: number
}

interface KeyRecord {
  readonly versions: KeyVersion[]
  denied: boolean
}

class KvError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

// ---------------------------------------------------------------------------------------------

async function newVersion(): Promise<KeyVersion> {
  // The public half is encoded by the generation: a later KeyObject.export can deadlock Node 20.
  // (@types/node has no overload for encoding only one half.)
  const generate = generateKeyPair as unknown as (
    type: "rsa",
    options: { modulusLength: number; publicKeyEncoding: { format: "jwk" } },
    cb: (err: Error | null, publicKey: { n: string; e: string }, privateKey: KeyObject) => void,
  ) => void
  const { privateKey, jwk } = await new Promise<{ privateKey: KeyObject; jwk: { n: string; e: string } }>((resolve, reject) =>
    generate("rsa", { modulusLength: 2048, publicKeyEncoding: { format: "jwk" } }, (err, pub, priv) =>
      err ? reject(err) : resolve({ jwk: pub, privateKey: priv }),
    ),
  )
  return { version: randomBytes(16).toString("hex"), privateKey, publicJwk: { n: jwk.n, e: jwk.e }, created: Math.floor(Date.now() / 1000) }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > 1 << 20) reject(new KvError(413, "RequestTooLarge", "request body too large"))
      else chunks.push(c)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })
}

const OAEP: Readonly<Record<string, string>> = { "RSA-OAEP-256": "sha256", "RSA-OAEP": "sha1" }

/**
 * Starts the emulator on 127.0.0.1 with an ephemeral port.
 * @param options - vault name, token, keys, latency and throttling details
 */
export async function startAzureKvEmulator(options: AzureKvEmulatorOptions = {}): Promise<AzureKvEmulator> {
  const vaultName = options.vaultName ?? "sops-test"
  const vaultHost = `${vaultName}.vault.azure.net`
  const token = options.token ?? TEST_AZURE_TOKEN
  const tenantId = options.tenantId ?? "72f988bf-86f1-41af-91ab-2d7cd011db47"
  const retryAfter = options.retryAfterSeconds ?? 0
  const keys = new Map<string, KeyRecord>()
  const calls: AzureKvCall[] = []
  const timers = new Set<NodeJS.Timeout>()
  let latencyMs = options.latencyMs ?? 0
  let throttled = { remaining: 0, status: 429 as 429 | 503 }

  const addKey = async (k: EmulatedAzureKey): Promise<void> => {
    keys.set(k.name, { versions: [await newVersion()], denied: k.denied ?? false })
  }
  await Promise.all((options.keys ?? [{ name: "sops" }]).map(addKey))

  const tls = createSelfSignedCert("sops-ts Azure Key Vault emulator", [vaultHost, "localhost"])
  let origin = ""

  const notFound = (what: string): KvError =>
    new KvError(404, "KeyNotFound", `A key with (name/id) ${what} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`)

  const handle = async (req: IncomingMessage, url: URL, ctx: { algorithm?: string }): Promise<unknown> => {
    const apiVersion = url.searchParams.get("api-version")
    if (apiVersion === null || apiVersion === "") throw new KvError(400, "BadParameter", "The request URI contains an invalid api-version: it is missing.")
    if (!AZURE_KV_API_VERSIONS.includes(apiVersion)) {
      throw new KvError(400, "BadParameter", `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${AZURE_KV_API_VERSIONS.at(-1)!}).`)
    }
    const auth = req.headers.authorization
    if (!sameText(auth, `Bearer ${token}`)) {
      const challenge = `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="${AZURE_KV_RESOURCE}"`
      throw new KvError(
        401,
        "Unauthorized",
        auth === undefined ? "AKV10000: Request is missing a Bearer or PoP token." : "AKV10022: Invalid audience or token.",
        { "WWW-Authenticate": challenge },
      )
    }
    if (throttled.remaining > 0) {
      throttled.remaining--
      if (throttled.status === 429) {
        throw new KvError(429, "Throttled", "Request was not allowed because the request rate exceeded the vault's limit. Please retry later.", { "Retry-After": String(retryAfter) })
      }
      throw new KvError(503, "ServiceUnavailable", "The service is temporarily unavailable.")
    }
    const parts = url.pathname.split("/").slice(1).map(decodeURIComponent)
    if (parts[0] !== "keys" || parts.length < 2 || parts[1] === "") throw new KvError(404, "NotFound", "Not found")
    const name = parts[1]!
    const record = keys.get(name)
    if (record?.denied) {
      throw new KvError(403, "Forbidden", `Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/keys/${req.method === "GET" ? "read" : "encrypt"}/action' Resource: '/keys/${name}'`)
    }
    if (record === undefined) throw notFound(name)
    const versionPart = parts[2] ?? ""
    const op = parts[3]
    const v = versionPart === "" ? record.versions.at(-1)! : record.versions.find((x) => x.version === versionPart)
    if (v === undefined) throw notFound(`${name}/${versionPart}`)
    const kid = `${origin}/keys/${name}/${v.version}`
    if (req.method === "GET" && parts.length <= 3) {
      return {
        key: { kid, kty: "RSA", key_ops: ["encrypt", "decrypt", "wrapKey", "unwrapKey"], n: v.publicJwk.n, e: v.publicJwk.e },
        attributes: { enabled: true, created: v.created, updated: v.created, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 },
      }
    }
    if (req.method !== "POST" || (op !== "encrypt" && op !== "decrypt") || parts.length !== 4) {
      throw new KvError(405, "MethodNotAllowed", "The requested resource does not support this method")
    }
    let body: { alg?: unknown; value?: unknown }
    try {
      body = JSON.parse((await readBody(req)).toString("utf8")) as typeof body
    } catch (err) {
      if (err instanceof KvError) throw err
      throw new KvError(400, "BadParameter", "The request body is not valid JSON")
    }
    if (typeof body.alg === "string") ctx.algorithm = body.alg
    const hash = typeof body.alg === "string" ? OAEP[body.alg] : undefined
    if (hash === undefined) throw new KvError(400, "BadParameter", `Invalid algorithm: ${String(body.alg)}`)
    if (typeof body.value !== "string") throw new KvError(400, "BadParameter", "Property 'value' is required")
    const input = Buffer.from(body.value, "base64url")
    let out: Buffer
    try {
      out =
        op === "encrypt"
          ? publicEncrypt({ key: v.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, input)
          : privateDecrypt({ key: v.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, input)
    } catch {
      throw new KvError(400, "BadParameter", op === "encrypt" ? "The plaintext is too long for the key" : "Error while decrypting: the ciphertext is invalid for this key")
    }
    return { kid, value: out.toString("base64url") }
  }

  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "https://127.0.0.1")
      let status = 200
      let payload: unknown
      let headers: Record<string, string> = {}
      const ctx: { algorithm?: string } = {}
      try {
        payload = await handle(req, url, ctx)
      } catch (err) {
        const e = err instanceof KvError ? err : new KvError(500, "InternalError", "internal error")
        status = e.status
        headers = e.headers
        payload = { error: { code: e.code, message: e.message } }
      }
      if (latencyMs > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t)
            resolve()
          }, latencyMs)
          timers.add(t)
        })
      }
      calls.push({
        method: req.method ?? "",
        path: url.pathname,
        apiVersion: url.searchParams.get("api-version") ?? "",
        host: req.headers.host ?? "",
        authorized: sameText(req.headers.authorization, `Bearer ${token}`),
        ...(ctx.algorithm === undefined ? {} : { algorithm: ctx.algorithm }),
        status,
      })
      if (res.destroyed) return
      const text = JSON.stringify(payload)
      res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...headers })
      res.end(text)
    })()
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo
  origin = `https://${vaultHost}:${port}`

  const lookup = ((hostname: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    if (hostname === vaultHost) {
      if (opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }])
      else cb(null, "127.0.0.1", 4)
      return
    }
    dnsLookup(hostname, opts as never, cb as never)
  }) as unknown as LookupFunction
  const agent = new Agent({ ca: tls.certPem, keepAlive: true, lookup })

  const requests: EmulatorCredential["requests"] = []
  const credential: EmulatorCredential = {
    requests,
    async getToken(scopes, opts) {
      const list = typeof scopes === "string" ? [scopes] : scopes
      requests.push({ scopes: [...list], tenantId: opts?.tenantId })
      const ok = list.length === 1 && list[0] === `${AZURE_KV_RESOURCE}/.default`
      return { token: ok ? token : `token-for-${list.join(" ")}`, expiresOnTimestamp: Date.now() + 3_600_000 }
    },
  }

  return {
    vaultUrl: origin,
    loopbackUrl: `https://127.0.0.1:${port}`,
    caPem: tls.certPem,
    agent,
    token,
    credential,
    calls,
    keyVersion(name) {
      const r = keys.get(name)
      if (r === undefined) throw new Error(`no key ${name}`)
      return r.versions.at(-1)!.version
    },
    addKey,
    async rotateKey(name) {
      const r = keys.get(name)
      if (r === undefined) throw new Error(`no key ${name}`)
      const v = await newVersion()
      r.versions.push(v)
      return v.version
    },
    throttle(n, status = 429) {
      throttled = { remaining: n, status }
    },
    setLatency(ms) {
      latencyMs = ms
    },
    async stop() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      agent.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
