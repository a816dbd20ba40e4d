/**
 * The key-service server: serves local {@link KeyService}s to remote sops clients over gRPC,
 * with an approval hook that can refuse each request before any key is used.
 * @module
 */
import { isAbsolute, resolve } from "node:path"
import type { sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js"
import { SopsError, describeKey, type KeyService, type MasterKey } from "@sops-ts/core"
import { protoToMasterKey, type ProtoDecryptRequest, type ProtoEncryptRequest } from "./key-message.js"
import { loadProtocol } from "./proto.js"
import { GrpcStatus } from "./status.js"

/** A request as shown to the approval hook. `key.enc` is the wrapped key (decrypt) or "" (encrypt). */
export interface KeyServiceRequest {
  readonly operation: "encrypt" | "decrypt"
  readonly key: MasterKey
}

/** Options of {@link startKeyServiceServer}. */
export interface KeyServiceServerOptions {
  /** The local key services that do the work; for each request the first that opens the key wins. */
  readonly keyServices: readonly KeyService[]
  /** `tcp` (default) or `unix`. */
  readonly network?: "tcp" | "unix"
  /**
   * `host:port` for tcp (default `127.0.0.1:5000`; port 0 picks a free port) or the socket
   * path for unix (required; relative paths resolve against the process directory).
   */
  readonly address?: string
  /**
   * Called for every request before the key is used; `false` (or a throw) refuses it with
   * `PERMISSION_DENIED` "Request rejected by user". Calls may overlap; serialise them yourself
   * if you ask a person.
   */
  readonly approve?: (request: KeyServiceRequest) => boolean | Promise<boolean>
  /** Receives one secret-free line per request and per lifecycle event. */
  readonly log?: (line: string) => void
}

/** A running key-service server. */
export interface KeyServiceServerHandle {
  /** Where it listens: `host:port` with the actual port, or the socket path. */
  readonly address: string
  /** The network it listens on. */
  readonly network: "tcp" | "unix"
  /** Stops accepting requests, cancels running ones after a short grace period, and releases the socket. */
  close(): Promise<void>
}

const DEFAULT_ADDRESS = "127.0.0.1:5000"
const CLOSE_GRACE_MS = 2_000

class RpcError extends Error {
  readonly code: number
  readonly details: string
  constructor(code: number, details: string) {
    super(details)
    this.code = code
    this.details = details
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Splits `host:port` (`[v6]:port` too); the port must be a number. */
function splitHostPort(address: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(address)
  if (!m || Number(m[2]) > 65535) {
    throw new SopsError("ERR_INVALID_ARGUMENT", `invalid tcp address ${JSON.stringify(address)}: expected host:port, e.g. 127.0.0.1:5000`)
  }
  return { host: m[1] === "" ? "0.0.0.0" : m[1]!, port: Number(m[2]) }
}

/** Runs the operation with the first local service that can, collecting why the others could not. */
async function perform(
  services: readonly KeyService[],
  op: "encrypt" | "decrypt",
  key: MasterKey,
  payload: Uint8Array,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const candidates = services.filter((s) => s.supports(key))
  if (candidates.length === 0) throw new RpcError(GrpcStatus.UNKNOWN, `this key service has no provider for ${key.type} keys (${describeKey(key)})`)
  const reasons: string[] = []
  for (const svc of candidates) {
    try {
      if (op === "encrypt") {
        // The protocol carries only the ciphertext; a completed key (e.g. a resolved Azure
        // version) cannot travel back, as with sops' own server.
        const r = await svc.encrypt(key, payload, { signal })
        return new TextEncoder().encode(typeof r === "string" ? r : r.key.enc)
      }
      const out = await svc.decrypt(key, { signal })
      if (out !== null) return out
      reasons.push(`${svc.name}: no identity or credential for ${describeKey(key)}`)
    } catch (err) {
      if (signal.aborted) throw new RpcError(GrpcStatus.CANCELLED, "the request was cancelled")
      reasons.push(`${svc.name}: ${message(err)}`)
    }
  }
  // sops' server returns provider errors as plain errors, which gRPC reports as UNKNOWN.
  throw new RpcError(GrpcStatus.UNKNOWN, reasons.join("; "))
}

/**
 * Starts a sops-compatible key service. Go sops (`--keyservice tcp://…`) and
 * {@link keyServiceClient} can both use it. Unlike sops' `--prompt`, the approval hook runs
 * *before* the operation, so a refused request never touches a key.
 *
 * Wire semantics follow sops (spec section 10): a request without a key member gets
 * `NOT_FOUND` "Must provide a key"; an unknown member `NOT_FOUND` "Unknown key type"; a
 * refusal `PERMISSION_DENIED` "Request rejected by user"; provider failures `UNKNOWN` with
 * the provider's (secret-free) message.
 *
 * @throws SopsError `ERR_INVALID_ARGUMENT` for a bad address, `ERR_IO` when it cannot listen
 * @example
 * ```ts
 * const server = await startKeyServiceServer({
 *   keyServices: [ageKeyService({ identities: [process.env.AGE_IDENTITY!] })],
 *   address: "127.0.0.1:5000",
 *   approve: ({ operation, key }) => operation === "decrypt" && key.type === "age",
 * })
 * // ... later
 * await server.close()
 * ```
 */
export async function startKeyServiceServer(options: KeyServiceServerOptions): Promise<KeyServiceServerHandle> {
  const network = options.network ?? "tcp"
  if (network !== "tcp" && network !== "unix") {
    throw new SopsError("ERR_INVALID_ARGUMENT", `unsupported network ${JSON.stringify(network)}: use tcp or unix`)
  }
  const log = options.log ?? ((): void => {})
  let bindTarget: string
  let shown: string
  let tcp: { host: string; port: number } | null = null
  if (network === "unix") {
    if (options.address === undefined || options.address === "") {
      throw new SopsError("ERR_INVALID_ARGUMENT", "a unix key service needs a socket path as its address")
    }
    shown = isAbsolute(options.address) ? options.address : resolve(options.address)
    bindTarget = `unix:${shown}`
  } else {
    tcp = splitHostPort(options.address ?? DEFAULT_ADDRESS)
    bindTarget = `${tcp.host}:${tcp.port}`
    shown = bindTarget
  }

  const { grpc, service } = await loadProtocol()
  const server = new grpc.Server()
  const running = new Set<AbortController>()

  function handler(op: "encrypt" | "decrypt") {
    return (call: ServerUnaryCall<ProtoEncryptRequest & ProtoDecryptRequest, unknown>, callback: sendUnaryData<unknown>): void => {
      const ac = new AbortController()
      running.add(ac)
      call.on("cancelled", () => ac.abort())
      serve(op, call.request, ac.signal).then(
        (bytes) => {
          running.delete(ac)
          callback(null, op === "encrypt" ? { ciphertext: bytes } : { plaintext: bytes })
        },
        (err: unknown) => {
          running.delete(ac)
          const e = err instanceof RpcError ? err : new RpcError(GrpcStatus.UNKNOWN, message(err))
          callback(e)
        },
      )
    }
  }

  async function serve(op: "encrypt" | "decrypt", request: ProtoEncryptRequest & ProtoDecryptRequest, signal: AbortSignal): Promise<Uint8Array> {
    const payload = (op === "encrypt" ? request.plaintext : request.ciphertext) ?? new Uint8Array(0)
    let enc = ""
    if (op === "decrypt") {
      try {
        enc = new TextDecoder("utf-8", { fatal: true }).decode(payload)
      } catch {
        throw new RpcError(GrpcStatus.UNKNOWN, "the ciphertext is not UTF-8 text, so it is no sops enc value")
      }
    }
    const key = protoToMasterKey(request.key, enc)
    if (typeof key === "string") {
      log(`${op} request rejected: ${key}`)
      throw new RpcError(GrpcStatus.NOT_FOUND, key)
    }
    const label = `${op} request for ${describeKey(key)}`
    if (options.approve) {
      let ok: boolean
      try {
        ok = (await options.approve({ operation: op, key })) === true
      } catch (err) {
        log(`${label}: approval failed: ${message(err)}`)
        throw new RpcError(GrpcStatus.PERMISSION_DENIED, `Request rejected: approval failed (${message(err)})`)
      }
      if (!ok) {
        log(`${label}: rejected`)
        throw new RpcError(GrpcStatus.PERMISSION_DENIED, "Request rejected by user")
      }
    }
    try {
      const out = await perform(options.keyServices, op, key, payload, signal)
      log(`${label}: done`)
      return out
    } catch (err) {
      log(`${label}: failed: ${message(err)}`)
      throw err
    } finally {
      // Best effort: do not keep the received data key around (JS cannot guarantee wiping).
      if (op === "encrypt") payload.fill(0)
    }
  }

  server.addService(service, { Encrypt: handler("encrypt"), Decrypt: handler("decrypt") })
  const port = await new Promise<number>((ok, fail) => {
    server.bindAsync(bindTarget, grpc.ServerCredentials.createInsecure(), (err, p) => {
      if (err) fail(new SopsError("ERR_IO", `cannot listen on ${network} ${shown}: ${err.message}`, { cause: err }))
      else ok(p)
    })
  })
  const address = tcp ? `${tcp.host}:${port}` : shown
  log(`Listening on ${network}://${address}`)

  let closing: Promise<void> | null = null
  return {
    address,
    network,
    close(): Promise<void> {
      closing ??= new Promise<void>((done) => {
        const force = setTimeout(() => {
          for (const ac of running) ac.abort()
          server.forceShutdown()
          done()
        }, CLOSE_GRACE_MS)
        server.tryShutdown(() => {
          clearTimeout(force)
          done()
        })
      })
      return closing
    },
  }
}
