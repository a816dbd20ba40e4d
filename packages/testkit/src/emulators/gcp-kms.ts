/**
 * A loopback emulator of Google Cloud KMS Encrypt/Decrypt for the `@sops-ts/gcp-kms` tests,
 * reachable through the real `@google-cloud/kms` client over gRPC (TLS with a generated
 * certificate) and REST (HTTP/1.1 JSON). It checks what the service checks: the bearer token,
 * the resource name's shape and existence, the caller's permission, and that a ciphertext
 * belongs to the key it is sent to.
 *
 * @example
 * ```ts
 * const kms = await startGcpKmsEmulator({ keys: [KEY] })
 * const svc = gcpKmsKeyService({ accessToken: kms.token, apiEndpoint: kms.grpcEndpoint, grpcRootCerts: kms.caCert })
 * kms.failNext("RESOURCE_EXHAUSTED", 2)
 * await kms.stop()
 * ```
 * @module
 */
import { randomBytes } from "node:crypto"
import { startGcpKmsGrpc } from "./gcp-kms-grpc.js"
import { startGcpKmsRest } from "./gcp-kms-rest.js"
import { createSelfSignedCert } from "./gcp-self-signed-cert.js"
import { GcpKmsState, type GcpKmsCall, type GcpKmsMethod, type GcpKmsStatus } from "./gcp-kms-state.js"

export type { GcpKmsCall, GcpKmsMethod, GcpKmsStatus } from "./gcp-kms-state.js"

/** Options of {@link startGcpKmsEmulator}. */
export interface GcpKmsEmulatorOptions {
  /** The one access token accepted (default: a random one, see {@link GcpKmsEmulator.token}). */
  readonly token?: string
  /** Crypto keys that exist from the start (`projects/…/cryptoKeys/…`). */
  readonly keys?: readonly string[]
}

/** A running emulator. Both front ends share keys, faults and the call log. */
export interface GcpKmsEmulator {
  /** `localhost:<port>` of the gRPC (TLS) endpoint (a host name, so TLS can use SNI). */
  readonly grpcEndpoint: string
  /** `http://127.0.0.1:<port>` of the REST endpoint. */
  readonly restUrl: string
  /** PEM certificate of the gRPC endpoint, to trust as its root. */
  readonly caCert: string
  /** The accepted bearer token. */
  readonly token: string
  /** Every request received, in order. */
  readonly calls: readonly GcpKmsCall[]
  /** Creates a crypto key. */
  addKey(name: string): void
  /** Adds a primary version to a key; older ciphertexts still decrypt. */
  rotateKey(name: string): void
  /** Denies (or, with `false`, allows again) every use of a key: PERMISSION_DENIED. */
  forbid(name: string, forbidden?: boolean): void
  /** The next `times` authenticated calls (of `method`, or any) fail with `status`. */
  failNext(status: GcpKmsStatus, times?: number, method?: GcpKmsMethod): void
  /** Delays every answer by `ms` (0 = no delay). */
  setDelay(ms: number): void
  /** Stops both servers; afterwards connections are refused. Safe to call twice. */
  stop(): Promise<void>
}

/** Starts the emulator on 127.0.0.1 with ephemeral ports. */
export async function startGcpKmsEmulator(options: GcpKmsEmulatorOptions = {}): Promise<GcpKmsEmulator> {
  const state = new GcpKmsState(options.token ?? `ya29.emulator-${randomBytes(12).toString("hex")}`)
  for (const k of options.keys ?? []) state.addKey(k)
  const cert = createSelfSignedCert("gcp-kms emulator")
  const grpcServer = await startGcpKmsGrpc(state, cert)
  const restServer = await startGcpKmsRest(state).catch(async (err: unknown) => {
    await grpcServer.stop()
    throw err
  })
  return {
    grpcEndpoint: `localhost:${grpcServer.port}`,
    restUrl: `http://127.0.0.1:${restServer.port}`,
    caCert: cert.certPem,
    token: state.token,
    calls: state.calls,
    addKey: (n) => state.addKey(n),
    rotateKey: (n) => state.rotateKey(n),
    forbid: (n, f) => state.forbid(n, f),
    failNext: (s, t, m) => state.failNext(s, t, m),
    setDelay: (ms) => state.setDelay(ms),
    stop: async () => {
      await Promise.all([grpcServer.stop(), restServer.stop()])
    },
  }
}
