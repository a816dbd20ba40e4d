/**
 * The remote key-service client: a {@link KeyService} that forwards every wrap and unwrap to a
 * sops key service (Go `sops keyservice` or ours) over gRPC.
 * @module
 */
import type { Client, ServiceError } from "@grpc/grpc-js"
import { KeyUnavailableError, SopsError, describeKey, type KeyOperationOptions, type KeyService, type MasterKey } from "@sops-ts/core"
import { masterKeyToProto, PROTOCOL_KEY_TYPES } from "./key-message.js"
import { loadProtocol, type Protocol } from "./proto.js"
import { GrpcStatus, isGrpcError } from "./status.js"
import { parseKeyServiceUri, type KeyServiceAddress } from "./uri.js"

/** Options of {@link keyServiceClient}. */
export interface KeyServiceClientOptions {
  /**
   * Deadline of each call in milliseconds (default 60 000: long enough for a person to answer
   * a server started with `--prompt`). A call that exceeds it fails with `ERR_KEY_FAILED`, so
   * the next key is still tried; aborting the caller's `signal` gives `ERR_ABORTED`.
   */
  readonly timeoutMs?: number
  /** Name in messages and error reports (default `keyservice <uri>`). */
  readonly name?: string
  /**
   * How often a call refused with `UNAVAILABLE` or `RESOURCE_EXHAUSTED` is retried
   * (default 2). Other failures are not retried.
   */
  readonly retries?: number
  /** Waits before retry `attempt` (1-based); default 100 ms × 2^(attempt−1). Injectable for tests. */
  readonly delay?: (attempt: number, signal: AbortSignal | undefined) => Promise<void>
}

/** A {@link KeyService} backed by a remote key service; `close()` releases the connection. */
export interface RemoteKeyService extends KeyService {
  /** The parsed address. */
  readonly address: KeyServiceAddress
  /** Unwraps `key.enc` through the remote service; never null (a refusal or failure throws). */
  decrypt(key: MasterKey, options?: KeyOperationOptions): Promise<Uint8Array>
  /** Closes the gRPC channel (a later call opens a new one). */
  close(): void
}

const DEFAULT_TIMEOUT_MS = 60_000
const DEFAULT_RETRIES = 2

function defaultDelay(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, 100 * 2 ** (attempt - 1))
    function done(): void {
      clearTimeout(t)
      signal?.removeEventListener("abort", done)
      resolve()
    }
    signal?.addEventListener("abort", done, { once: true })
  })
}

type Operation = "encrypt" | "decrypt"

function aborted(signal: AbortSignal): SopsError {
  return new SopsError("ERR_ABORTED", "the operation was aborted", { cause: signal.reason })
}

/** Turns a failed call into the SopsError the core reports for this key. */
function callError(err: unknown, op: Operation, key: MasterKey, uri: string, timeoutMs: number): SopsError {
  const code = op === "encrypt" ? "ERR_KEY_WRAP" : "ERR_KEY_FAILED"
  const what = `${op} with ${describeKey(key)}`
  const details = { uri, operation: op, key: describeKey(key) }
  if (!isGrpcError(err)) {
    const msg = err instanceof Error ? err.message : String(err)
    return new SopsError(code, `key service ${uri} could not ${what}: ${msg}`, { cause: err, details })
  }
  // grpc-js appends an empty "Resolution note:" to connection errors; it says nothing.
  const server = err.details.replace(/\.?\s*Resolution note:\s*$/, "")
  switch (err.code) {
    case GrpcStatus.PERMISSION_DENIED:
      return new SopsError(code, `the key service at ${uri} refused the request to ${what}${server ? `: ${server}` : ""}`, {
        cause: err,
        details: { ...details, grpcCode: err.code, refused: true },
      })
    case GrpcStatus.UNAVAILABLE:
      return new SopsError(code, `cannot reach key service ${uri} to ${what}${server ? `: ${server}` : ""}`, {
        cause: err,
        details: { ...details, grpcCode: err.code },
      })
    case GrpcStatus.DEADLINE_EXCEEDED:
      // Our own per-call deadline, not the caller's signal: report it as this key's failure
      // so that the core goes on to the next key.
      return new SopsError(code, `key service ${uri} did not answer within ${timeoutMs} ms (${what})`, {
        cause: err,
        details: { ...details, grpcCode: err.code, timeout: true },
      })
    case GrpcStatus.UNIMPLEMENTED:
      return new SopsError(code, `${uri} is not a sops key service (${what}): ${server}`, { cause: err, details: { ...details, grpcCode: err.code } })
    default:
      return new SopsError(code, `key service ${uri} failed to ${what}: ${server || `gRPC status ${err.code}`}`, {
        cause: err,
        details: { ...details, grpcCode: err.code },
      })
  }
}

function isRetryable(err: unknown): boolean {
  return isGrpcError(err) && (err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.RESOURCE_EXHAUSTED)
}

function validTimeout(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_TIMEOUT_MS
  if (!Number.isFinite(ms) || ms <= 0) throw new SopsError("ERR_INVALID_ARGUMENT", `timeoutMs must be a positive number of milliseconds, got ${ms}`)
  return ms
}

/**
 * A {@link KeyService} that asks the sops key service at `uri` to wrap and unwrap data keys.
 * It supports every key type; the remote service decides which keys it can open and answers
 * with its own credentials. The connection is opened on first use; gRPC is loaded lazily.
 *
 * Errors: the server refusing (`PERMISSION_DENIED`, e.g. its approval hook said no), an
 * unreachable server, a timeout and any server-side failure are `ERR_KEY_FAILED` (decrypt) or
 * `ERR_KEY_WRAP` (encrypt) naming the URI and the key, so the core goes on to the next key or
 * service; aborting `signal` gives `ERR_ABORTED`.
 *
 * @param uri - `tcp://host:port` or `unix:///absolute/path`
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an unusable URI or option
 * @example
 * ```ts
 * const remote = keyServiceClient("tcp://10.0.0.5:5000")
 * const plain = await decrypt(bytes, { format: "yaml", keyServices: [remote] })
 * remote.close()
 * ```
 */
export function keyServiceClient(uri: string, options: KeyServiceClientOptions = {}): RemoteKeyService {
  let problem = ""
  const address = parseKeyServiceUri(uri, (m) => (problem = m))
  if (address === null) throw new SopsError("ERR_INVALID_ARGUMENT", problem)
  const timeoutMs = validTimeout(options.timeoutMs)
  const retries = options.retries ?? DEFAULT_RETRIES
  if (!Number.isInteger(retries) || retries < 0) throw new SopsError("ERR_INVALID_ARGUMENT", `retries must be a non-negative integer, got ${retries}`)
  const delay = options.delay ?? defaultDelay
  const name = options.name ?? `keyservice ${uri}`

  let client: Client | null = null
  async function channel(): Promise<{ protocol: Protocol; client: Client }> {
    const protocol = await loadProtocol()
    client ??= new protocol.grpc.Client(address!.target, protocol.grpc.credentials.createInsecure())
    return { protocol, client }
  }

  /** One unary call, cancelled when `signal` aborts. */
  function callOnce<Req, Res>(c: Client, method: Protocol["service"]["Encrypt" | "Decrypt"], request: Req, signal: AbortSignal | undefined): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const m = method as unknown as {
        path: string
        requestSerialize: (r: Req) => Buffer
        responseDeserialize: (b: Buffer) => Res
      }
      const onAbort = (): void => call.cancel()
      const call = c.makeUnaryRequest<Req, Res>(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        request,
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, res?: Res) => {
          signal?.removeEventListener("abort", onAbort)
          if (err) reject(err)
          else resolve(res as Res)
        },
      )
      signal?.addEventListener("abort", onAbort, { once: true })
    })
  }

  async function call<Req, Res>(op: Operation, key: MasterKey, request: Req, signal: AbortSignal | undefined): Promise<Res> {
    if (signal?.aborted) throw aborted(signal)
    const { protocol, client: c } = await channel()
    const method = op === "encrypt" ? protocol.service.Encrypt : protocol.service.Decrypt
    for (let attempt = 0; ; attempt++) {
      try {
        return await callOnce<Req, Res>(c, method, request, signal)
      } catch (err) {
        if (signal?.aborted) throw aborted(signal)
        if (attempt < retries && isRetryable(err)) {
          await delay(attempt + 1, signal)
          if (signal?.aborted) throw aborted(signal)
          continue
        }
        throw callError(err, op, key, uri, timeoutMs)
      }
    }
  }

  return {
    name,
    address,
    supports: (key: MasterKey) => PROTOCOL_KEY_TYPES.has(key.type),
    async encrypt(key: MasterKey, dataKey: Uint8Array, opts?: KeyOperationOptions): Promise<string> {
      const res = await call<object, { ciphertext?: Uint8Array }>("encrypt", key, { key: masterKeyToProto(key), plaintext: dataKey }, opts?.signal)
      const ct = res.ciphertext ?? new Uint8Array(0)
      if (ct.length === 0) throw new SopsError("ERR_KEY_WRAP", `key service ${uri} returned an empty ciphertext for ${describeKey(key)}`)
      try {
        // sops stores the returned bytes as the `enc` string; every provider's enc is text.
        return new TextDecoder("utf-8", { fatal: true }).decode(ct)
      } catch {
        throw new SopsError("ERR_KEY_WRAP", `key service ${uri} returned a ciphertext for ${describeKey(key)} that is not UTF-8 text`)
      }
    },
    async decrypt(key: MasterKey, opts?: KeyOperationOptions): Promise<Uint8Array> {
      const request = { key: masterKeyToProto(key), ciphertext: new TextEncoder().encode(key.enc) }
      const res = await call<object, { plaintext?: Uint8Array }>("decrypt", key, request, opts?.signal)
      const pt = res.plaintext ?? new Uint8Array(0)
      if (pt.length === 0) throw new SopsError("ERR_KEY_FAILED", `key service ${uri} returned an empty data key for ${describeKey(key)}`)
      // grpc-js hands out Buffers; callers get a plain Uint8Array copy.
      return new Uint8Array(pt)
    },
    close(): void {
      client?.close()
      client = null
    },
  }
}

/** Options of {@link remoteKeyService}. */
export interface RemoteKeyServiceOptions extends KeyServiceClientOptions {
  /** The environment (accepted for the CLI's provider contract; nothing is read from it today). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Receives the warning for an unusable URI. */
  readonly warn?: (message: string) => void
}

/**
 * The CLI's entry point for `--keyservice URI`: like {@link keyServiceClient}, but an unusable
 * URI is skipped with a warning as sops does. The returned service then supports no key
 * (and its operations throw `ERR_KEY_UNAVAILABLE` explaining why, should a wrapper call them).
 */
export function remoteKeyService(uri: string, options: RemoteKeyServiceOptions = {}): KeyService {
  let warning = ""
  const parsed = parseKeyServiceUri(uri, (m) => {
    warning = m
    options.warn?.(m)
  })
  if (parsed !== null) {
    const { env: _env, warn: _warn, ...clientOptions } = options
    return keyServiceClient(uri, clientOptions)
  }
  const skipped = async (): Promise<never> => {
    throw new KeyUnavailableError(warning)
  }
  return {
    name: options.name ?? `keyservice ${uri}`,
    supports: () => false,
    encrypt: skipped,
    decrypt: skipped,
  }
}
