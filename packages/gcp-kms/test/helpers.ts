/**
 * Shared set-up of the GCP KMS tests: an emulator and services wired to it through the real
 * `@google-cloud/kms` client.
 */
import { newGcpKmsKey, type GcpKmsMasterKey } from "@sops-ts/core"
import type { GcpKmsEmulator } from "@sops-ts/testkit"
import { gcpKmsKeyService, type GcpKmsKeyService, type GcpKmsKeyServiceOptions } from "../src/index.js"

export const KEY = "projects/sops-ts/locations/global/keyRings/ring/cryptoKeys/main"
export const OTHER_KEY = "projects/sops-ts/locations/europe-west1/keyRings/ring/cryptoKeys/other"

export const TRANSPORTS = ["grpc", "rest"] as const
export type Transport = (typeof TRANSPORTS)[number]

/** A gcp_kms master key for `resourceId` with a fixed creation time. */
export function gcpKey(resourceId: string = KEY, enc = ""): GcpKmsMasterKey {
  return { ...newGcpKmsKey(resourceId, { now: () => new Date("2024-01-01T00:00:00Z") }), enc }
}

/** A key service that reaches `kms` over `transport` with the emulator's token; fast retries. */
export function serviceFor(kms: GcpKmsEmulator, transport: Transport, extra: GcpKmsKeyServiceOptions = {}): GcpKmsKeyService {
  return gcpKmsKeyService({
    accessToken: kms.token,
    transport,
    apiEndpoint: transport === "grpc" ? kms.grpcEndpoint : kms.restUrl,
    grpcRootCerts: kms.caCert,
    retryDelayMs: 1,
    timeoutMs: 5_000,
    ...extra,
  })
}

/** 32 distinct bytes, like a sops data key. */
export function dataKey(seed = 1): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + seed) & 0xff)
}
