/**
 * Conversion between the core's {@link MasterKey} model and the protocol's `Key` message
 * (spec section 10; sops `keyservice.go:KeyFromMasterKey` and the server's per-type builders).
 * Pure data mapping: no gRPC here.
 * @module
 */
import type { KeyType, MasterKey } from "@sops-ts/core"

/** `KmsKey` as proto-loader reads and writes it (snake_case field names). */
export interface ProtoKmsKey {
  arn?: string
  role?: string
  context?: Record<string, string>
  aws_profile?: string
}

/** The `Key` message: at most one member of the `key_type` oneof is set. */
export interface ProtoKey {
  kms_key?: ProtoKmsKey | null
  pgp_key?: { fingerprint?: string } | null
  gcp_kms_key?: { resource_id?: string } | null
  azure_keyvault_key?: { vault_url?: string; name?: string; version?: string } | null
  vault_key?: { vault_address?: string; engine_path?: string; key_name?: string } | null
  age_key?: { recipient?: string } | null
  hckms_key?: { key_id?: string } | null
  /** Set by proto-loader on decoding (`oneofs: true`): the name of the member present. */
  key_type?: string
}

/** `EncryptRequest { Key key = 1; bytes plaintext = 2; }` */
export interface ProtoEncryptRequest {
  key?: ProtoKey | null
  plaintext?: Uint8Array
}
/** `EncryptResponse { bytes ciphertext = 1; }` */
export interface ProtoEncryptResponse {
  ciphertext?: Uint8Array
}
/** `DecryptRequest { Key key = 1; bytes ciphertext = 2; }` */
export interface ProtoDecryptRequest {
  key?: ProtoKey | null
  ciphertext?: Uint8Array
}
/** `DecryptResponse { bytes plaintext = 1; }` */
export interface ProtoDecryptResponse {
  plaintext?: Uint8Array
}

/** The key types the protocol can carry: all seven that sops knows. */
export const PROTOCOL_KEY_TYPES: ReadonlySet<KeyType> = new Set<KeyType>(["age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"])

/**
 * Proto3 does not put empty strings on the wire; leaving them out makes our encoding byte-equal
 * to Go's for the same key (proto-loader would otherwise write `role = ""` explicitly).
 */
function fields<T extends Record<string, string>>(o: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(o) as [keyof T, string][]) if (v !== "") out[k] = v as T[keyof T]
  return out
}

/**
 * The `Key` message for a master key: only the identifying fields, never `enc` or
 * `created_at` (those stay with the caller).
 */
export function masterKeyToProto(key: MasterKey): ProtoKey {
  switch (key.type) {
    case "age":
      return { age_key: fields({ recipient: key.recipient }) }
    case "pgp":
      return { pgp_key: fields({ fingerprint: key.fp }) }
    case "kms": {
      const msg: ProtoKmsKey = fields({ arn: key.arn, role: key.role, aws_profile: key.awsProfile })
      if (Object.keys(key.context).length > 0) msg.context = { ...key.context }
      return { kms_key: msg }
    }
    case "gcp_kms":
      return { gcp_kms_key: fields({ resource_id: key.resourceId }) }
    case "azure_kv":
      return { azure_keyvault_key: fields({ vault_url: key.vaultUrl, name: key.name, version: key.version }) }
    case "hc_vault":
      return { vault_key: fields({ vault_address: key.vaultAddress, engine_path: key.enginePath, key_name: key.keyName }) }
    case "hckms":
      return { hckms_key: fields({ key_id: key.keyId }) }
  }
}

/** Why a request's key could not be turned into a master key (the texts sops' server uses). */
export type KeyMessageProblem = "Must provide a key" | "Unknown key type"

/**
 * Builds a master key from a received `Key` message, with `enc` set to `enc` and no
 * `created_at` (the server never sees or returns it).
 * @returns the key, or the problem to report as gRPC `NOT_FOUND`
 */
export function protoToMasterKey(msg: ProtoKey | null | undefined, enc: string): MasterKey | KeyMessageProblem {
  // A request without any `key` makes Go sops 3.13.2 dereference nil; answering like an
  // empty key is the useful reading.
  if (msg === null || msg === undefined) return "Must provide a key"
  const s = (v: string | undefined): string => v ?? ""
  switch (msg.key_type) {
    case "age_key":
      return { type: "age", recipient: s(msg.age_key?.recipient), enc }
    case "pgp_key":
      return { type: "pgp", fp: s(msg.pgp_key?.fingerprint), createdAt: "", enc }
    case "kms_key": {
      const k = msg.kms_key
      return {
        type: "kms",
        arn: s(k?.arn),
        role: s(k?.role),
        context: { ...(k?.context ?? {}) },
        awsProfile: s(k?.aws_profile),
        createdAt: "",
        enc,
      }
    }
    case "gcp_kms_key":
      return { type: "gcp_kms", resourceId: s(msg.gcp_kms_key?.resource_id), createdAt: "", enc }
    case "azure_keyvault_key": {
      const k = msg.azure_keyvault_key
      return { type: "azure_kv", vaultUrl: s(k?.vault_url), name: s(k?.name), version: s(k?.version), createdAt: "", enc }
    }
    case "vault_key": {
      const k = msg.vault_key
      return { type: "hc_vault", vaultAddress: s(k?.vault_address), enginePath: s(k?.engine_path), keyName: s(k?.key_name), createdAt: "", enc }
    }
    case "hckms_key":
      return { type: "hckms", keyId: s(msg.hckms_key?.key_id), createdAt: "", enc }
    case undefined:
    case "":
      return "Must provide a key"
    default:
      return "Unknown key type"
  }
}
