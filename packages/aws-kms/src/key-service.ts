/**
 * The AWS KMS {@link KeyService}: wraps sops data keys with `kms:Encrypt` and unwraps them
 * with `kms:Decrypt`, the way sops' `kms/keysource.go` does (region from the ARN, optional
 * role assumed through STS, encryption context, shared-config profile).
 * @module
 */
import type { KMSClient } from "@aws-sdk/client-kms"
import {
  KeyUnavailableError,
  SopsError,
  describeKey,
  keyId,
  kmsArnRegion,
  type KeyOperationOptions,
  type KeyService,
  type KmsMasterKey,
  type MasterKey,
  type SopsErrorCode, encodeStdBase64, decodeStdBase64 } from "@sops-ts/core"
import { awsErrorName, describeAwsError, isMissingCredentials } from "./aws-errors.js"
import { ClientPool, type AwsCredentials } from "./clients.js"
import { sdkKmsCaller, type KmsCaller } from "./kms-json-client.js"
import { withRetries, type RetryPolicy } from "./retry.js"
import { stsSessionName } from "./session-name.js"

/** Options of {@link awsKmsKeyService}. Nothing is read from the environment except by the SDK's own credential chain. */
export interface AwsKmsKeyServiceOptions {
  /**
   * Credentials for every key: static keys (`{ accessKeyId, secretAccessKey, sessionToken? }`)
   * or an SDK credential provider. Default: the SDK's default chain (environment, shared
   * config with the key's `aws_profile`, SSO, web identity, container and instance metadata).
   * Keys with a `role` use these (or the chain) to call `sts:AssumeRole` first.
   */
  readonly credentials?: AwsCredentials
  /**
   * Supplies the KMS client for a key instead of building one. The client is used as is:
   * `credentials`, `endpoint`, the key's `role` and `aws_profile` are then the factory's
   * business.
   */
  readonly clientFor?: (region: string, key: KmsMasterKey) => KMSClient
  /** KMS endpoint URL (default: the SDK's regional endpoint, or `AWS_ENDPOINT_URL_KMS`). */
  readonly endpoint?: string
  /** STS endpoint URL for role assumption (default: the SDK's regional endpoint). */
  readonly stsEndpoint?: string
  /** Attempts per AWS call, first included; throttling, 5xx and flaky sockets are retried (default 3). */
  readonly maxAttempts?: number
  /** Deadline of one key operation, retries and role assumption included, in ms (default 30 000). */
  readonly timeoutMs?: number
  /** Delay before the first retry in ms, doubled for each further one (default 200). */
  readonly retryDelayMs?: number
  /**
   * HTTP connections kept open to each KMS endpoint, which is how many calls can be on the
   * wire at once (default 64; the SDK alone would allow 50). Further calls wait for a free
   * connection. A bulk re-key lets 64 KMS calls out at once by default (`providerLimits.kms`
   * of `@sops-ts/rekey`); raise both together. `Infinity` removes the cap, as in Node's own
   * HTTP agent, so the caller's own limit alone decides.
   */
  readonly maxSockets?: number
  /** Host name for the STS session name `sops@<host>` (default: `os.hostname()`). */
  readonly hostname?: () => string
  /**
   * Decides, before any request is sent, whether a key may be used. A key's `role` and
   * `aws_profile` come from the file being opened, so a file from an untrusted source can
   * name any role for the caller's credentials to assume and any local profile; a service
   * that opens such files can restrict both here (for example to roles of its own account).
   * A refused key fails like an unusable one (`ERR_KEY_FAILED` / `ERR_KEY_WRAP` with
   * `details.reason: "refused"`), so the file's other keys are still tried. Default: every key.
   */
  readonly allowKey?: (key: KmsMasterKey) => boolean
}

/** The AWS KMS key service, plus a way to release its HTTP connections. */
export interface AwsKmsKeyService extends KeyService {
  /** Destroys the cached SDK clients (keep-alive sockets) and assumed-role credentials. */
  close(): void
}

const DEFAULT_TIMEOUT_MS = 30_000
const DEFAULT_ATTEMPTS = 3
const DEFAULT_MAX_SOCKETS = 64
const DEFAULT_RETRY_DELAY_MS = 200
const MAX_RETRY_DELAY_MS = 5_000

/**
 * Settles like `call`, or rejects with `signal`'s reason as soon as it aborts (the call's own
 * outcome is then ignored).
 */
function raceAbort<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    call.catch(() => undefined)
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      call.catch(() => undefined)
      reject(signal.reason)
    }
    signal.addEventListener("abort", onAbort, { once: true })
    call.then(
      (v) => {
        signal.removeEventListener("abort", onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(e)
      },
    )
  })
}

/** Marks a failure of the STS step so that the message says which step failed. */
class RoleAssumptionError extends Error {
  override readonly name = "RoleAssumptionError"
}

function requireKms(key: MasterKey): KmsMasterKey {
  if (key.type !== "kms") {
    throw new SopsError("ERR_INVALID_ARGUMENT", `the AWS KMS key service cannot handle ${key.type} keys`)
  }
  return key
}

function positive(name: string, v: number | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback
  if (!Number.isFinite(v) || v < min) throw new SopsError("ERR_INVALID_ARGUMENT", `awsKmsKeyService: ${name} must be a number ≥ ${min}`)
  return v
}

/**
 * Creates the AWS KMS key service.
 *
 * - `encrypt` calls `kms:Encrypt{KeyId: arn, Plaintext, EncryptionContext}` in the ARN's
 *   region and returns the padded standard base64 of the ciphertext blob (sops' `enc`).
 * - `decrypt` calls `kms:Decrypt{KeyId: arn, CiphertextBlob, EncryptionContext}`.
 * - With a `role`, `sts:AssumeRole{RoleSessionName: "sops@<host>"}` runs first and the
 *   temporary credentials (cached until shortly before expiry) sign the KMS call.
 *
 * Failures are `SopsError`s naming the key: `ERR_KEY_FAILED` (decrypt) or `ERR_KEY_WRAP`
 * (encrypt) with the AWS error, also on timeout (so the next key is still tried);
 * `ERR_ABORTED` when the caller's signal aborts; {@link KeyUnavailableError} when the SDK
 * finds no credentials at all.
 *
 * @example
 * ```ts
 * const kms = awsKmsKeyService()                       // SDK default credential chain
 * const out = await decrypt(bytes, { format: "yaml", keyServices: [kms] })
 * kms.close()
 * ```
 */
export function awsKmsKeyService(options: AwsKmsKeyServiceOptions = {}): AwsKmsKeyService {
  const timeoutMs = positive("timeoutMs", options.timeoutMs, DEFAULT_TIMEOUT_MS, 1)
  const retry: RetryPolicy = {
    maxAttempts: Math.floor(positive("maxAttempts", options.maxAttempts, DEFAULT_ATTEMPTS, 1)),
    baseDelayMs: positive("retryDelayMs", options.retryDelayMs, DEFAULT_RETRY_DELAY_MS, 0),
    maxDelayMs: MAX_RETRY_DELAY_MS,
  }
  const hostname = options.hostname
  const pool = new ClientPool({
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.stsEndpoint !== undefined ? { stsEndpoint: options.stsEndpoint } : {}),
    sessionName: () => stsSessionName(hostname?.()),
    retry,
    requestTimeoutMs: timeoutMs,
    // Node's agents take Infinity for "no cap"; a finite value must be at least 1 (and is floored).
    maxSockets: options.maxSockets === Infinity ? Infinity : Math.floor(positive("maxSockets", options.maxSockets, DEFAULT_MAX_SOCKETS, 1)),
  })

  async function callerFor(region: string, key: KmsMasterKey, signal: AbortSignal): Promise<KmsCaller> {
    if (options.clientFor !== undefined) return sdkKmsCaller(options.clientFor(region, key))
    try {
      return await pool.kmsCaller(region, key, signal)
    } catch (err) {
      if (key.role === "" || signal.aborted) throw err
      throw new RoleAssumptionError(`failed to assume role ${key.role}: ${describeAwsError(err)}`, { cause: err })
    }
  }

  /** Runs one KMS operation under the deadline and maps every failure to a SopsError. */
  async function run<T>(
    key: KmsMasterKey,
    code: SopsErrorCode,
    verb: string,
    userSignal: AbortSignal | undefined,
    op: (caller: KmsCaller, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> {
    const what = `${verb} the data key with ${describeKey(key)}`
    if (userSignal?.aborted) throw new SopsError("ERR_ABORTED", `aborted before trying to ${what}`, { cause: userSignal.reason })
    if (options.allowKey !== undefined && !options.allowKey(key)) {
      throw new SopsError(code, `cannot ${what}: the key is refused by this service's allowKey policy`, {
        details: { key: keyId(key), reason: "refused" },
      })
    }
    const region = kmsArnRegion(key.arn)
    if (region === null) {
      throw new SopsError(code, `cannot ${what}: ${JSON.stringify(key.arn)} is not a KMS key or alias ARN`, {
        details: { key: keyId(key), reason: "invalid-arn" },
      })
    }
    // A plain timer cleared when the call settles: `AbortSignal.timeout` costs several times
    // more per call (a weakly held timer that stays queued for the whole timeout), which adds
    // up over thousands of calls in a bulk re-key.
    const deadline = new AbortController()
    const timer = setTimeout(() => deadline.abort(new DOMException("The operation timed out.", "TimeoutError")), timeoutMs)
    const signal = userSignal === undefined ? deadline.signal : AbortSignal.any([userSignal, deadline.signal])
    try {
      const caller = await callerFor(region, key, signal)
      // The call gets a signal only when the caller passed one (aborting then cancels the
      // request): an SDK client rebuilds its middleware for every call sent with a signal, and
      // each listener costs. Otherwise the deadline is enforced by racing the call, and the
      // HTTP handler's request timeout ends a request given up on.
      return await withRetries((s) => raceAbort(op(caller, userSignal === undefined ? undefined : s), s), retry, signal)
    } catch (err) {
      if (userSignal?.aborted) throw new SopsError("ERR_ABORTED", `aborted while trying to ${what}`, { cause: userSignal.reason })
      // A deadline is a failure of this key, not of the whole operation: the next key is tried.
      if (deadline.signal.aborted) {
        throw new SopsError(code, `failed to ${what}: no answer from AWS within ${timeoutMs} ms`, {
          cause: err,
          details: { key: keyId(key), reason: "timeout" },
        })
      }
      const root = err instanceof RoleAssumptionError ? err.cause : err
      if (isMissingCredentials(root)) {
        throw new KeyUnavailableError(`no AWS credentials to ${what}: ${describeAwsError(root)}`, { cause: err })
      }
      const inSts = err instanceof RoleAssumptionError
      throw new SopsError(code, `failed to ${what}: ${inSts ? err.message : describeAwsError(err)}`, {
        cause: err,
        details: {
          key: keyId(key),
          reason: awsErrorName(root),
          step: inSts ? "sts:AssumeRole" : code === "ERR_KEY_WRAP" ? "kms:Encrypt" : "kms:Decrypt",
        },
      })
    } finally {
      clearTimeout(timer)
    }
  }

  function context(key: KmsMasterKey): Record<string, string> | undefined {
    return Object.keys(key.context).length === 0 ? undefined : { ...key.context }
  }

  return {
    name: "aws kms",

    supports(key: MasterKey): boolean {
      return key.type === "kms"
    },

    async encrypt(key: MasterKey, dataKey: Uint8Array, opts?: KeyOperationOptions): Promise<string> {
      const k = requireKms(key)
      if (!(dataKey instanceof Uint8Array)) throw new SopsError("ERR_INVALID_ARGUMENT", "the data key must be a Uint8Array")
      const ctx = context(k)
      const blob = await run(k, "ERR_KEY_WRAP", "wrap", opts?.signal, (caller, signal) =>
        caller.encrypt({ keyId: k.arn, plaintext: dataKey, context: ctx }, signal),
      )
      if (blob === undefined || blob.length === 0) {
        throw new SopsError("ERR_KEY_WRAP", `failed to wrap the data key with ${describeKey(k)}: AWS KMS returned no ciphertext`, {
          details: { key: keyId(k), reason: "empty-response" },
        })
      }
      return encodeStdBase64(blob)
    },

    async decrypt(key: MasterKey, opts?: KeyOperationOptions): Promise<Uint8Array> {
      const k = requireKms(key)
      const blob = decodeStdBase64(k.enc)
      if (blob === null || blob.length === 0) {
        throw new SopsError(
          "ERR_KEY_FAILED",
          `cannot unwrap the data key with ${describeKey(k)}: its enc is ${k.enc === "" ? "empty" : "not valid base64"}`,
          { details: { key: keyId(k), reason: "invalid-enc" } },
        )
      }
      const ctx = context(k)
      const plaintext = await run(k, "ERR_KEY_FAILED", "unwrap", opts?.signal, (caller, signal) =>
        caller.decrypt({ keyId: k.arn, ciphertext: blob, context: ctx }, signal),
      )
      if (plaintext === undefined) {
        throw new SopsError("ERR_KEY_FAILED", `failed to unwrap the data key with ${describeKey(k)}: AWS KMS returned no plaintext`, {
          details: { key: keyId(k), reason: "empty-response" },
        })
      }
      // A plain Uint8Array the caller owns, not a view into an SDK buffer; the intermediate
      // copy is wiped.
      const dataKey = new Uint8Array(plaintext)
      plaintext.fill(0)
      return dataKey
    },

    close(): void {
      pool.close()
    },
  }
}
