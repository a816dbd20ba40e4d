/**
 * Loads gRPC and the key-service protocol definition on first use, so that importing
 * `@sops-ts/keyservice` costs nothing until a remote key service is actually called or served.
 * @module
 */
import { fileURLToPath } from "node:url"
import type * as Grpc from "@grpc/grpc-js"
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js"
import { SopsError } from "@sops-ts/core"
import type { ProtoEncryptRequest, ProtoEncryptResponse, ProtoDecryptRequest, ProtoDecryptResponse } from "./key-message.js"

/**
 * The protocol file, shipped in the package's `proto/` folder. The path is relative to this
 * module so it resolves the same from `src/` (tests) and `dist/` (published build).
 */
export const PROTO_PATH: string = fileURLToPath(new URL("../proto/keyservice.proto", import.meta.url))

/** The two unary methods of the `KeyService` service, with their (de)serialisers. */
export interface KeyServiceDefinition extends ServiceDefinition {
  readonly Encrypt: MethodDefinition<ProtoEncryptRequest, ProtoEncryptResponse>
  readonly Decrypt: MethodDefinition<ProtoDecryptRequest, ProtoDecryptResponse>
}

/** gRPC and the loaded service definition. */
export interface Protocol {
  readonly grpc: typeof Grpc
  readonly service: KeyServiceDefinition
}

let loading: Promise<Protocol> | null = null

/**
 * Imports `@grpc/grpc-js` and `@grpc/proto-loader` and loads the protocol (once per process).
 * @throws SopsError `ERR_KEY_FAILED` when the gRPC packages or the .proto file are missing
 */
export function loadProtocol(): Promise<Protocol> {
  loading ??= (async () => {
    try {
      const [grpc, loader] = await Promise.all([import("@grpc/grpc-js"), import("@grpc/proto-loader")])
      const definition = loader.loadSync(PROTO_PATH, {
        // Field names as written in the .proto (snake_case), like sops' Go structs' wire names.
        keepCase: true,
        defaults: true,
        // Adds the virtual `key_type` property naming the oneof member that is set.
        oneofs: true,
      })
      return { grpc, service: definition["KeyService"] as unknown as KeyServiceDefinition }
    } catch (cause) {
      loading = null
      throw new SopsError("ERR_KEY_FAILED", `cannot load the key-service protocol: ${cause instanceof Error ? cause.message : String(cause)}`, {
        cause,
      })
    }
  })()
  return loading
}
