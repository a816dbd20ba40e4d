/**
 * The GCP Cloud KMS {@link KeyService}: wraps sops data keys with `Encrypt` on a crypto key
 * and unwraps them with `Decrypt`, over gRPC or REST.
 * @module
 */
import type { KeyManagementServiceClient } from "@google-cloud/kms"
import {
  KeyUnavailableError,
  SopsError,
  describeKey,
  type GcpKmsMasterKey,
  type KeyOperationOptions,
  type KeyService,
  type MasterKey, encodeStdBase64, decodeStdBase64 } from "@sops-ts/core"
import { CallFailure, runWithPolicy, type CallPolicy } from "./call-policy.js"
import { createKmsClient } from "./client.js"
import { gcpKmsOptionsFromEnvironment, type CredentialFileReader } from "./environment.js"
import type { GcpKmsKeyServiceOptions } from "./options.js"
import { isGcpKmsResourceId } from "./resource-id.js"

/** A {@link KeyService} for `gcp_kms` keys that can release its connection. */
export interface GcpKmsKeyService extends KeyService {
  /** Closes the client this service created (not one passed in). Safe to call twice. */
  close(): Promise<void>
}

const DEFAULTS: CallPolicy = { timeoutMs: 30_000, maxAttempts: 3, retryDelayMs: 250 }

function positive(name: string, v: number | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback
  if (!Number.isFinite(v) || v < min) throw new SopsError("ERR_INVALID_ARGUMENT", `gcpKmsKeyService: ${name} must be a number >= ${min}`)
  return v
}

function asGcpKey(key: MasterKey): GcpKmsMasterKey {
  if (key.type !== "gcp_kms") throw new KeyUnavailableError(`the GCP KMS key service does not handle ${key.type} keys`)
  return key
}

type Op = "encrypt" | "decrypt"

function failure(op: Op, key: GcpKmsMasterKey, reason: string, details: Record<string, unknown>, cause?: unknown): SopsError {
  const code = op === "encrypt" ? "ERR_KEY_WRAP" : "ERR_KEY_FAILED"
  const verb = op === "encrypt" ? "could not encrypt the data key" : "could not decrypt the data key"
  return new SopsError(code, `${describeKey(key)}: ${verb}: ${reason}`, {
    cause,
    details: { key: key.resourceId, ...details },
  })
}

/**
 * Creates the GCP KMS key service.
 *
 * Credentials, in order: `accessToken`, `credentials`, else application default credentials
 * (or whatever a passed-in `client` carries). Use {@link gcpKmsOptionsFromEnvironment} to read
 * them the way sops does.
 *
 * @example
 * ```ts
 * const gcp = gcpKmsKeyService({ credentials: JSON.parse(serviceAccountJson) })
 * await decrypt(file, { format: "yaml", keyServices: [gcp] })
 * ```
 * @throws SopsError `ERR_INVALID_ARGUMENT` for invalid numeric options
 */
export function gcpKmsKeyService(options: GcpKmsKeyServiceOptions = {}): GcpKmsKeyService {
  const policy: CallPolicy = {
    timeoutMs: positive("timeoutMs", options.timeoutMs, DEFAULTS.timeoutMs, 1),
    maxAttempts: Math.floor(positive("maxAttempts", options.maxAttempts, DEFAULTS.maxAttempts, 1)),
    retryDelayMs: positive("retryDelayMs", options.retryDelayMs, DEFAULTS.retryDelayMs, 0),
  }
  let owned: Promise<KeyManagementServiceClient> | undefined

  // One client for the service's lifetime; a failed creation is forgotten so the next key retries.
  const client = (): Promise<KeyManagementServiceClient> => {
    if (options.client) return Promise.resolve(options.client)
    if (owned === undefined) {
      owned = createKmsClient(options)
      owned.catch(() => {
        owned = undefined
      })
    }
    return owned
  }

  /**
   * Awaits the client's service stub before a method is called on it. Every generated method
   * first runs `initialize().catch((err) => { throw err })`, which leaves an unhandled
   * rejection (a crash, in Node's default mode) whenever the stub failed: when the auth client
   * cannot be made (malformed credentials, no application default credentials) on REST and on
   * gRPC without `grpcRootCerts`. Awaiting it here turns that into an ordinary key failure.
   * google-gax caches the failed stub, so such a client is never called again: an owned one
   * is dropped, and the next attempt makes a new one.
   */
  async function initialize(c: KeyManagementServiceClient): Promise<void> {
    try {
      await c.initialize()
    } catch (err) {
      const current = owned
      if (current !== undefined && (await current.catch(() => undefined)) === c) owned = undefined
      throw err
    }
  }

  async function call<T>(op: Op, key: GcpKmsMasterKey, signal: AbortSignal | undefined, fn: (c: KeyManagementServiceClient, timeout: number) => Promise<T>): Promise<T> {
    if (!isGcpKmsResourceId(key.resourceId)) {
      throw failure(op, key, `no valid resource ID found in ${JSON.stringify(key.resourceId)} (expected projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>)`, { status: "INVALID_RESOURCE_ID" })
    }
    let c: KeyManagementServiceClient
    try {
      c = await client()
    } catch (err) {
      const reason = err instanceof SopsError ? err.message : `cannot create the GCP KMS client: ${err instanceof Error ? err.message : String(err)}`
      throw failure(op, key, reason, { status: "CLIENT_SETUP" }, err)
    }
    try {
      let stubFailed = false
      return await runWithPolicy(async (timeout) => {
        if (stubFailed) c = await client() // the failed one was dropped (unless it is the caller's)
        try {
          await initialize(c)
        } catch (err) {
          stubFailed = true
          throw err
        }
        return fn(c, timeout)
      }, policy, signal)
    } catch (err) {
      if (!(err instanceof CallFailure)) throw err
      const { status, reason } = err.classified
      const attempts = err.attempts > 1 ? ` after ${err.attempts} attempts` : ""
      if (status === "NO_CREDENTIALS") throw new KeyUnavailableError(`${describeKey(key)}: ${reason}`, { cause: err.cause, details: { key: key.resourceId, status } })
      throw failure(op, key, reason + attempts, { status, attempts: err.attempts }, err.cause)
    }
  }

  return {
    name: "gcp_kms",
    supports: (key) => key.type === "gcp_kms",

    async encrypt(masterKey: MasterKey, dataKey: Uint8Array, opts?: KeyOperationOptions): Promise<string> {
      const key = asGcpKey(masterKey)
      const resp = await call("encrypt", key, opts?.signal, async (c, timeout) => {
        const [r] = await c.encrypt({ name: key.resourceId, plaintext: dataKey }, { timeout })
        return r
      })
      const ct = bytesOf(resp.ciphertext)
      if (ct === null || ct.length === 0) throw failure("encrypt", key, "the response has no ciphertext", { status: "BAD_RESPONSE" })
      return encodeStdBase64(ct)
    },

    async decrypt(masterKey: MasterKey, opts?: KeyOperationOptions): Promise<Uint8Array> {
      const key = asGcpKey(masterKey)
      const ciphertext = decodeStdBase64(key.enc)
      if (ciphertext === null || ciphertext.length === 0) {
        throw failure("decrypt", key, "the stored enc is not standard base64", { status: "BAD_ENC" })
      }
      const resp = await call("decrypt", key, opts?.signal, async (c, timeout) => {
        const [r] = await c.decrypt({ name: key.resourceId, ciphertext }, { timeout })
        return r
      })
      const pt = bytesOf(resp.plaintext)
      if (pt === null) throw failure("decrypt", key, "the response has no plaintext", { status: "BAD_RESPONSE" })
      return pt
    },

    async close(): Promise<void> {
      const pending = owned
      owned = undefined
      if (pending === undefined) return
      const c = await pending.catch(() => undefined)
      await c?.close()
    },
  }
}

/** Copies a protobuf `bytes` field (Buffer, Uint8Array, or base64 text from JSON) into a plain Uint8Array. */
function bytesOf(v: Uint8Array | string | null | undefined): Uint8Array | null {
  if (v === null || v === undefined) return null
  if (typeof v === "string") return decodeStdBase64(v)
  return new Uint8Array(v)
}

/**
 * The key service configured from the sops environment variables (see
 * {@link gcpKmsOptionsFromEnvironment}); `overrides` win (e.g. timeouts).
 */
export function gcpKmsKeyServiceFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  overrides: GcpKmsKeyServiceOptions = {},
  files?: CredentialFileReader,
): GcpKmsKeyService {
  return gcpKmsKeyService({ ...gcpKmsOptionsFromEnvironment(env, files), ...overrides })
}

/** The CLI's entry point (the contract of `@sops-ts/cli`'s lazy providers). */
export function keyServiceFromEnv(env: Readonly<Record<string, string | undefined>>): GcpKmsKeyService {
  return gcpKmsKeyServiceFromEnvironment(env)
}
