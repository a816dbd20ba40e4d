/**
 * The gRPC front end of the GCP KMS emulator: `google.cloud.kms.v1.KeyManagementService`
 * Encrypt and Decrypt over TLS, with the service definition loaded at run time from the
 * protos that ship inside `@google-cloud/kms`.
 * @module
 */
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import * as grpc from "@grpc/grpc-js"
import * as protoLoader from "@grpc/proto-loader"
import type { GcpKmsMethod, GcpKmsState, GcpKmsStatus } from "./gcp-kms-state.js"

let cached: grpc.ServiceDefinition | undefined

/** Loads the KeyManagementService definition from the installed client's protos (once). */
function kmsService(): grpc.ServiceDefinition {
  if (cached) return cached
  const require = createRequire(import.meta.url)
  const kmsPkg = require.resolve("@google-cloud/kms/package.json")
  // google-gax (which ships google/api and google/longrunning) hides package.json behind
  // its exports map; its entry point lives in build/src, next to build/protos.
  const gaxMain = createRequire(kmsPkg).resolve("google-gax")
  const def = protoLoader.loadSync("google/cloud/kms/v1/service.proto", {
    includeDirs: [join(dirname(kmsPkg), "build", "protos"), join(dirname(gaxMain), "..", "protos")],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  })
  const loaded = grpc.loadPackageDefinition(def) as unknown as {
    google: { cloud: { kms: { v1: { KeyManagementService: { service: grpc.ServiceDefinition } } } } }
  }
  cached = loaded.google.cloud.kms.v1.KeyManagementService.service
  return cached
}

const CODES: Readonly<Record<GcpKmsStatus, grpc.status>> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
}

interface EncryptRequest {
  name?: string
  plaintext?: Uint8Array
}
interface DecryptRequest {
  name?: string
  ciphertext?: Uint8Array
}

/** A running gRPC front end. */
export interface GcpKmsGrpcServer {
  readonly port: number
  stop(): Promise<void>
}

/**
 * Serves Encrypt and Decrypt on localhost (loopback only, ephemeral port) over TLS with `cert`.
 * Other KeyManagementService methods answer UNIMPLEMENTED.
 */
export async function startGcpKmsGrpc(state: GcpKmsState, cert: { certPem: string; keyPem: string }): Promise<GcpKmsGrpcServer> {
  const server = new grpc.Server()
  const unary = <Req extends EncryptRequest & DecryptRequest>(method: GcpKmsMethod): grpc.handleUnaryCall<Req, unknown> => (call, callback) => {
    const auth = call.metadata.get("authorization")[0]
    const req = call.request
    state
      .handle({
        transport: "grpc",
        method,
        name: req.name ?? "",
        data: (method === "Encrypt" ? req.plaintext : req.ciphertext) ?? new Uint8Array(0),
        authorization: auth === undefined ? undefined : String(auth),
      })
      .then((out) => {
        if (!out.ok) return callback({ code: CODES[out.status], details: out.message })
        if (out.method === "Encrypt") {
          return callback(null, { name: out.name, ciphertext: Buffer.from(out.ciphertext), protectionLevel: "SOFTWARE" })
        }
        callback(null, { plaintext: Buffer.from(out.plaintext), usedPrimary: true, protectionLevel: "SOFTWARE" })
      })
      .catch((err: unknown) => callback({ code: grpc.status.INTERNAL, details: String(err) }))
  }
  server.addService(kmsService(), { encrypt: unary("Encrypt"), decrypt: unary("Decrypt") })
  const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }], false)
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("localhost:0", creds, (err, p) => (err ? reject(err) : resolve(p)))
  })
  let stopped = false
  return {
    port,
    stop: async () => {
      if (stopped) return
      stopped = true
      server.forceShutdown()
    },
  }
}
