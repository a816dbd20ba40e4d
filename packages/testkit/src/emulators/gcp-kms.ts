/**
 * A loopback emulator of Google Cloud KMS Encrypt/Decrypt for the `@sops-ts/gcp-kms` tests,
 * reachable through the real `@google-cloud/kms` client over gRPC (TLS with a generated
 * certificate) and REST (HTTP/1.1 JSON). It checks what the service checks: the bearer token,
 * the resource name's shape and existence, the caller's permission, and that a ciphertext
 * belongs to the key it is sent to.
 *
 * Besides its static token it knows service accounts ({@link GcpKmsEmulator.createServiceAccount}):
 * it verifies the self-signed JWTs the client library sends for a service-account key, and
 * serves an OAuth token endpoint (`token_uri`) whose access tokens it then accepts (see
 * `gcp-oauth.ts`).
 *
 * @example
 * ```ts
 * const kms = await startGcpKmsEmulator({ keys: [KEY] })
 * const svc = gcpKmsKeyService({ accessToken: kms.token, apiEndpoint: kms.grpcEndpoint, grpcRootCerts: kms.caCert })
 * const sa = gcpKmsKeyService({ credentials: kms.createServiceAccount(), apiEndpoint: kms.restUrl, transport: "rest" })
 * kms.failNext("RESOURCE_EXHAUSTED", 2)
 * await kms.stop()
 * ```
 * @module
 */
import { randomBytes } from "node:crypto"
import { startGcpKmsGrpc } from "./gcp-kms-grpc.js"
import { startGcpKmsRest } from "./gcp-kms-rest.js"
import { createSelfSignedCert } from "./self-signed-cert.js"
import { GcpKmsState, type GcpKmsCall, type GcpKmsMethod, type GcpKmsStatus } from "./gcp-kms-state.js"
import { GcpIdentity, type GcpTokenRequest } from "./gcp-oauth.js"
import { TOKEN_PATH } from "./gcp-kms-rest.js"
import { generateGcpServiceAccount, type GcpServiceAccountCredentials, type GcpServiceAccountOptions } from "./gcp-service-account.js"

export type { GcpKmsCall, GcpKmsMethod, GcpKmsStatus } from "./gcp-kms-state.js"
export type { GcpAuthKind, GcpTokenRequest } from "./gcp-oauth.js"

/** Options of {@link startGcpKmsEmulator}. */
export interface GcpKmsEmulatorOptions {
  /** The one access token accepted (default: a random one, see {@link GcpKmsEmulator.token}). */
  readonly token?: string
  /** Crypto keys that exist from the start (`projects/…/cryptoKeys/…`). */
  readonly keys?: readonly string[]
  /** The universe whose KMS audience (`https://cloudkms.<universe>/`) self-signed JWTs may name (default `googleapis.com`). */
  readonly universeDomain?: string
}

/** A running emulator. Both front ends share keys, faults and the call log. */
export interface GcpKmsEmulator {
  /** `localhost:<port>` of the gRPC (TLS) endpoint (a host name, so TLS can use SNI). */
  readonly grpcEndpoint: string
  /** `http://127.0.0.1:<port>` of the REST endpoint. */
  readonly restUrl: string
  /** PEM certificate of the gRPC endpoint, to trust as its root. */
  readonly caCert: string
  /** The accepted static bearer token. */
  readonly token: string
  /** `<restUrl>/token`: the OAuth token endpoint, the `token_uri` of the accounts it creates. */
  readonly tokenUrl: string
  /** Every request received, in order. */
  readonly calls: readonly GcpKmsCall[]
  /** Every token-endpoint request, in order. */
  readonly tokenRequests: readonly GcpTokenRequest[]
  /**
   * Generates a service-account key that the emulator trusts and returns its JSON key file,
   * with `token_uri` = {@link GcpKmsEmulator.tokenUrl}. The emulator keeps only the public key.
   */
  createServiceAccount(options?: Omit<GcpServiceAccountOptions, "tokenUri">): GcpServiceAccountCredentials
  /** Trusts the public half of an existing key (e.g. one made with `generateGcpServiceAccount`). */
  registerServiceAccount(account: Pick<GcpServiceAccountCredentials, "client_email" | "private_key_id" | "private_key">): void
  /** Deletes one key of an account, or the whole account: what they sign is refused from now on. */
  removeServiceAccount(email: string, keyId?: string): void
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
  const identity = new GcpIdentity(options.token ?? `ya29.emulator-${randomBytes(12).toString("hex")}`, options.universeDomain)
  const state = new GcpKmsState(identity)
  for (const k of options.keys ?? []) state.addKey(k)
  const cert = createSelfSignedCert("gcp-kms emulator")
  const grpcServer = await startGcpKmsGrpc(state, cert)
  const restServer = await startGcpKmsRest(state).catch(async (err: unknown) => {
    await grpcServer.stop()
    throw err
  })
  const restUrl = `http://127.0.0.1:${restServer.port}`
  identity.setTokenUrl(`${restUrl}${TOKEN_PATH}`)
  return {
    grpcEndpoint: `localhost:${grpcServer.port}`,
    restUrl,
    caCert: cert.certPem,
    token: state.token,
    tokenUrl: identity.tokenUrl,
    calls: state.calls,
    tokenRequests: identity.tokenRequests,
    createServiceAccount: (o = {}) => {
      const account = generateGcpServiceAccount({ ...o, tokenUri: identity.tokenUrl })
      identity.registerServiceAccount(account)
      return account
    },
    registerServiceAccount: (a) => identity.registerServiceAccount(a),
    removeServiceAccount: (email, keyId) => identity.removeServiceAccount(email, keyId),
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
