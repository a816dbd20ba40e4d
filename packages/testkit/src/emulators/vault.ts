/**
 * A loopback HashiCorp Vault emulator serving the transit `encrypt` and `decrypt` endpoints,
 * for tests that drive the Vault provider over real HTTP.
 *
 * It checks what Vault checks: the `X-Vault-Token` (missing or wrong → 403
 * `permission denied`), the namespace header when a namespace is configured, the transit
 * mount (unknown mount → 404 "no handler for route"), the key (unknown → 400
 * "encryption key not found"; a denied key → 403), the payload (plaintext must be base64) and
 * the ciphertext, which is real AES-256-GCM under a per-key secret, so a ciphertext only
 * opens with the key version that made it. Errors use Vault's `{"errors": [...]}` shape.
 * Faults: throttling or unavailability N times (429 / 503), per-response latency, `stop()`.
 *
 * @example
 * ```ts
 * const vault = await startVaultEmulator()
 * const key = newVaultKeyFromUri(`${vault.url}/v1/transit/keys/sops`)
 * const svc = vaultTransitKeyService({ token: vault.token })
 * await vault.stop()
 * ```
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { sameText } from "./same-text.js"

/** The token the emulator accepts unless `token` is given. */
export const TEST_VAULT_TOKEN = "hvs.emulator-root-token-000000000000"

/** A transit key of the emulator. */
export interface EmulatedVaultKey {
  /** Transit mount, e.g. `transit` or `sops/transit` (default `transit`). */
  readonly mount?: string
  readonly name: string
  /** Refuse every request on this key with 403 (the token's policy does not cover it). */
  readonly denied?: boolean
}

/** Options of {@link startVaultEmulator}. */
export interface VaultEmulatorOptions {
  /** The accepted token (default {@link TEST_VAULT_TOKEN}). */
  readonly token?: string
  /** When set, requests must carry `X-Vault-Namespace` with this value. */
  readonly namespace?: string
  /** Transit mounts (default: `transit` plus the mounts of `keys`). */
  readonly mounts?: readonly string[]
  /** Keys (default: `transit/keys/sops`). */
  readonly keys?: readonly EmulatedVaultKey[]
  /** Delay before every response in ms (default 0). */
  readonly latencyMs?: number
}

/** One request the emulator answered (for assertions; holds no key material). */
export interface VaultEmulatorCall {
  readonly method: string
  /** The request path, e.g. `/v1/transit/encrypt/sops`. */
  readonly path: string
  /** Whether the request carried the accepted token. */
  readonly tokenValid: boolean
  /** The `X-Vault-Namespace` header ("" when absent). */
  readonly namespace: string
  readonly status: number
}

/** A running emulator. */
export interface VaultEmulator {
  /** `http://127.0.0.1:<port>`, the `vault_address` of emulated keys. */
  readonly url: string
  /** The accepted token. */
  readonly token: string
  /** Every request answered so far, in order. */
  readonly calls: readonly VaultEmulatorCall[]
  /** The next `n` transit calls are answered with `status` (429 throttled, or 503 sealed). */
  throttle(n: number, status?: 429 | 503): void
  /** Sets the delay before every response. */
  setLatency(ms: number): void
  /** Adds a key (and its mount) at run time. */
  addKey(key: EmulatedVaultKey): void
  /** Adds a key version; new ciphertexts use it, old ones still decrypt. */
  rotateKey(name: string, mount?: string): void
  /** Closes the port and every connection; later calls get connection refused. */
  stop(): Promise<void>
}

interface KeyRecord {
  readonly versions: Buffer[]
  denied: boolean
}

class VaultHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errors: readonly string[],
  ) {
    super(errors.join("; "))
  }
}

const MAX_BODY = 1 << 20
const NONCE = 12
const TAG = 16
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, "")
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) reject(new VaultHttpError(413, ["request body too large"]))
      else chunks.push(c)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })
}

function sealWith(material: Buffer, version: number, plaintext: Buffer, aad: string): string {
  const nonce = randomBytes(NONCE)
  const c = createCipheriv("aes-256-gcm", material, nonce)
  c.setAAD(Buffer.from(aad, "utf8"))
  const body = Buffer.concat([c.update(plaintext), c.final()])
  return `vault:v${version}:${Buffer.concat([nonce, body, c.getAuthTag()]).toString("base64")}`
}

function openWith(record: KeyRecord, ciphertext: string, aad: string): Buffer {
  const m = /^vault:v(\d+):(.*)$/s.exec(ciphertext)
  if (m === null) throw new VaultHttpError(400, ["invalid ciphertext: no prefix"])
  const version = Number(m[1])
  const material = record.versions[version - 1]
  if (version < 1 || material === undefined) throw new VaultHttpError(400, ["invalid ciphertext: version is too high"])
  if (!STD_BASE64.test(m[2]!)) throw new VaultHttpError(400, ["invalid ciphertext: could not decode base64"])
  const raw = Buffer.from(m[2]!, "base64")
  if (raw.length < NONCE + TAG) throw new VaultHttpError(400, ["invalid ciphertext: too short"])
  try {
    const d = createDecipheriv("aes-256-gcm", material, raw.subarray(0, NONCE), { authTagLength: TAG })
    d.setAAD(Buffer.from(aad, "utf8"))
    d.setAuthTag(raw.subarray(raw.length - TAG))
    return Buffer.concat([d.update(raw.subarray(NONCE, raw.length - TAG)), d.final()])
  } catch {
    throw new VaultHttpError(400, ["cipher: message authentication failed"])
  }
}

/**
 * Starts the emulator on 127.0.0.1 with an ephemeral port.
 * @param options - token, namespace, mounts, keys and latency
 */
export async function startVaultEmulator(options: VaultEmulatorOptions = {}): Promise<VaultEmulator> {
  const token = options.token ?? TEST_VAULT_TOKEN
  const keys = new Map<string, KeyRecord>()
  const mounts = new Set<string>((options.mounts ?? ["transit"]).map(trimSlashes))
  const calls: VaultEmulatorCall[] = []
  const timers = new Set<NodeJS.Timeout>()
  let latencyMs = options.latencyMs ?? 0
  let throttled = { remaining: 0, status: 429 as 429 | 503 }

  const addKey = (k: EmulatedVaultKey): void => {
    const mount = trimSlashes(k.mount ?? "transit")
    mounts.add(mount)
    keys.set(`${mount}/${k.name}`, { versions: [randomBytes(32)], denied: k.denied ?? false })
  }
  for (const k of options.keys ?? [{ name: "sops" }]) addKey(k)

  /** Finds the mount and operation of `/v1/<mount…>/<op>/<name>`; longest mount wins. */
  const route = (path: string): { mount: string; op: string; name: string } | null => {
    const rest = trimSlashes(path.replace(/^\/v1\//, ""))
    const parts = rest.split("/")
    if (parts.length < 3) return null
    const name = parts[parts.length - 1]!
    const op = parts[parts.length - 2]!
    const mount = parts.slice(0, -2).join("/")
    return mounts.has(mount) ? { mount, op, name } : null
  }

  const handle = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    if (!url.pathname.startsWith("/v1/")) throw new VaultHttpError(404, [])
    if (!sameText(req.headers["x-vault-token"], token)) throw new VaultHttpError(403, ["permission denied"])
    if (options.namespace !== undefined && req.headers["x-vault-namespace"] !== options.namespace) {
      // A token lives in one namespace; elsewhere it is unknown.
      throw new VaultHttpError(403, ["permission denied"])
    }
    const r = route(decodeURIComponent(url.pathname))
    if (r === null) {
      throw new VaultHttpError(404, [`no handler for route "${trimSlashes(url.pathname.slice(4))}". route entry not found.`])
    }
    if (req.method !== "POST" && req.method !== "PUT") throw new VaultHttpError(405, ["unsupported operation"])
    if (r.op !== "encrypt" && r.op !== "decrypt") throw new VaultHttpError(404, [`unsupported path`])
    const record = keys.get(`${r.mount}/${r.name}`)
    if (record?.denied) throw new VaultHttpError(403, ["permission denied"])
    if (throttled.remaining > 0) {
      throttled.remaining--
      throw throttled.status === 429
        ? new VaultHttpError(429, [`request path "${trimSlashes(url.pathname.slice(4))}": rate limit quota exceeded`])
        : new VaultHttpError(503, ["Vault is sealed"])
    }
    let body: Record<string, unknown>
    try {
      body = JSON.parse((await readBody(req)).toString("utf8")) as Record<string, unknown>
    } catch (err) {
      if (err instanceof VaultHttpError) throw err
      throw new VaultHttpError(400, ["failed to parse JSON input"])
    }
    if (record === undefined) throw new VaultHttpError(400, ["encryption key not found"])
    // Bind ciphertexts to the key: a ciphertext copied to another key name fails to open.
    const aad = `${r.mount}/${r.name}`
    if (r.op === "encrypt") {
      const plaintext = body["plaintext"]
      if (typeof plaintext !== "string" || !STD_BASE64.test(plaintext)) {
        throw new VaultHttpError(400, ["failed to base64-decode plaintext"])
      }
      const v = record.versions.length
      return { ciphertext: sealWith(record.versions[v - 1]!, v, Buffer.from(plaintext, "base64"), aad), key_version: v }
    }
    const ciphertext = body["ciphertext"]
    if (typeof ciphertext !== "string" || ciphertext === "") throw new VaultHttpError(400, ["missing ciphertext to decrypt"])
    return { plaintext: openWith(record, ciphertext, aad).toString("base64") }
  }

  const send = (res: ServerResponse, status: number, payload: unknown): void => {
    const text = JSON.stringify(payload)
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) })
    res.end(text)
  }

  const server = createServer((req, res) => {
    void (async () => {
      let status = 200
      let payload: unknown
      try {
        const data = await handle(req)
        payload = { request_id: randomBytes(16).toString("hex"), lease_id: "", renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null }
      } catch (err) {
        status = err instanceof VaultHttpError ? err.status : 500
        payload = { errors: err instanceof VaultHttpError ? err.errors : ["internal error"] }
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
        path: (req.url ?? "").split("?")[0]!,
        tokenValid: sameText(req.headers["x-vault-token"], token),
        namespace: typeof req.headers["x-vault-namespace"] === "string" ? req.headers["x-vault-namespace"] : "",
        status,
      })
      if (!res.destroyed) send(res, status, payload)
    })()
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    throttle(n, status = 429) {
      throttled = { remaining: n, status }
    },
    setLatency(ms) {
      latencyMs = ms
    },
    addKey,
    rotateKey(name, mount = "transit") {
      const record = keys.get(`${trimSlashes(mount)}/${name}`)
      if (record === undefined) throw new Error(`no key ${mount}/${name}`)
      record.versions.push(randomBytes(32))
    },
    async stop() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
