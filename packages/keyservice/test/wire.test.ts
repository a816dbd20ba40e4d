/**
 * Wire compatibility with Go sops, shown without Go: our encoding is compared with protobuf
 * bytes computed by hand from the field numbers of sops' keyservice.proto, the client is
 * checked against a raw-bytes server, and our server is fed hand-encoded requests.
 */
import { afterEach, describe, expect, it } from "vitest"
import type { MasterKey } from "@sops-ts/core"
import { keyServiceClient, loadProtocol, startKeyServiceServer, type KeyServiceServerHandle } from "../src/index.js"
import { GrpcStatus } from "../src/status.js"
import { ageKey, cat, hex, ld, rawCall, rawServer, recordingService } from "./helpers.js"

const RECIPIENT = "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun"
const DATA_KEY = new Uint8Array(32).map((_, i) => i + 1)

/** Each key type with the bytes of its `Key` message per sops' field numbers. */
const KEYS: { name: string; key: MasterKey; bytes: Uint8Array }[] = [
  // Key.kms_key = 1 (0x0a); KmsKey: arn 1, role 2, context 3 (map entry: key 1, value 2), aws_profile 4.
  {
    name: "kms",
    key: { type: "kms", arn: "arn:aws:kms:eu-west-1:1:key/k", role: "arn:aws:iam::1:role/r", context: { env: "prod" }, awsProfile: "p", createdAt: "2024-01-01T00:00:00Z", enc: "x" },
    bytes: ld(0x0a, cat(ld(0x0a, "arn:aws:kms:eu-west-1:1:key/k"), ld(0x12, "arn:aws:iam::1:role/r"), ld(0x1a, cat(ld(0x0a, "env"), ld(0x12, "prod"))), ld(0x22, "p"))),
  },
  // Empty strings are not on the wire (proto3), exactly as Go encodes them.
  { name: "kms, minimal", key: { type: "kms", arn: "arn:aws:kms:r:1:key/k", role: "", context: {}, awsProfile: "", createdAt: "", enc: "" }, bytes: ld(0x0a, ld(0x0a, "arn:aws:kms:r:1:key/k")) },
  // Key.pgp_key = 2 (0x12); PgpKey.fingerprint = 1.
  { name: "pgp", key: { type: "pgp", fp: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", createdAt: "", enc: "" }, bytes: ld(0x12, ld(0x0a, "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4")) },
  // Key.gcp_kms_key = 3 (0x1a); GcpKmsKey.resource_id = 1.
  { name: "gcp_kms", key: { type: "gcp_kms", resourceId: "projects/p/locations/l/keyRings/r/cryptoKeys/k", createdAt: "", enc: "" }, bytes: ld(0x1a, ld(0x0a, "projects/p/locations/l/keyRings/r/cryptoKeys/k")) },
  // Key.azure_keyvault_key = 4 (0x22); vault_url 1, name 2, version 3.
  {
    name: "azure_kv",
    key: { type: "azure_kv", vaultUrl: "https://v.vault.azure.net", name: "k", version: "abc", createdAt: "", enc: "" },
    bytes: ld(0x22, cat(ld(0x0a, "https://v.vault.azure.net"), ld(0x12, "k"), ld(0x1a, "abc"))),
  },
  // Key.vault_key = 5 (0x2a); vault_address 1, engine_path 2, key_name 3.
  {
    name: "hc_vault",
    key: { type: "hc_vault", vaultAddress: "https://vault:8200", enginePath: "transit", keyName: "k", createdAt: "", enc: "" },
    bytes: ld(0x2a, cat(ld(0x0a, "https://vault:8200"), ld(0x12, "transit"), ld(0x1a, "k"))),
  },
  // Key.age_key = 6 (0x32); AgeKey.recipient = 1.
  { name: "age", key: ageKey(RECIPIENT, "ignored"), bytes: ld(0x32, ld(0x0a, RECIPIENT)) },
  // Key.hckms_key = 7 (0x3a); HckmsKey.key_id = 1.
  { name: "hckms", key: { type: "hckms", keyId: "cn-north-4:0c5b", createdAt: "", enc: "" }, bytes: ld(0x3a, ld(0x0a, "cn-north-4:0c5b")) },
]

describe("protocol definition", () => {
  it("uses sops' unpackaged method paths", async () => {
    const { service } = await loadProtocol()
    expect(service.Encrypt.path).toBe("/KeyService/Encrypt")
    expect(service.Decrypt.path).toBe("/KeyService/Decrypt")
  })

  it("encodes an age EncryptRequest to hand-computed bytes (AgeKey in field 6 → tag 0x32)", async () => {
    const { service } = await loadProtocol()
    const bytes = service.Encrypt.requestSerialize({ key: { age_key: { recipient: "age1x" } }, plaintext: new Uint8Array([1, 2, 3]) })
    // 0a 09: EncryptRequest.key (9 bytes); 32 07: Key.age_key (7 bytes); 0a 05 "age1x": AgeKey.recipient;
    // 12 03 01 02 03: EncryptRequest.plaintext.
    expect(hex(bytes)).toBe("0a09" + "3207" + "0a05" + "6167653178" + "1203" + "010203")
  })

  it.each(KEYS)("encodes a $name key with sops' field numbers", async ({ key, bytes }) => {
    const { service } = await loadProtocol()
    const { masterKeyToProto } = await import("../src/key-message.js")
    const enc = service.Decrypt.requestSerialize({ key: masterKeyToProto(key), ciphertext: new TextEncoder().encode("E") })
    expect(hex(enc)).toBe(hex(cat(ld(0x0a, bytes), ld(0x12, "E"))))
  })
})

describe("client on the wire", () => {
  const stops: (() => void)[] = []
  afterEach(() => {
    for (const s of stops.splice(0)) s()
  })

  it("sends an EncryptRequest byte-equal to the hand encoding and stores the reply as enc", async () => {
    const srv = await rawServer({ encrypt: ld(0x0a, "-----BEGIN AGE ENCRYPTED FILE-----\nxyz\n") })
    stops.push(srv.stop)
    const client = keyServiceClient(srv.uri)
    stops.push(() => client.close())
    const enc = await client.encrypt(ageKey(RECIPIENT), DATA_KEY)
    expect(enc).toBe("-----BEGIN AGE ENCRYPTED FILE-----\nxyz\n")
    expect(srv.received).toHaveLength(1)
    expect(srv.received[0]!.path).toBe("/KeyService/Encrypt")
    expect(hex(srv.received[0]!.bytes)).toBe(hex(cat(ld(0x0a, ld(0x32, ld(0x0a, RECIPIENT))), ld(0x12, DATA_KEY))))
  })

  it("sends the UTF-8 bytes of enc as DecryptRequest.ciphertext (field 2) and returns DecryptResponse.plaintext", async () => {
    const srv = await rawServer({ decrypt: ld(0x0a, DATA_KEY) })
    stops.push(srv.stop)
    const client = keyServiceClient(srv.uri)
    stops.push(() => client.close())
    const key = KEYS.find((k) => k.name === "kms")!
    const out = await client.decrypt({ ...key.key, enc: "QUJD" })
    expect([...out]).toEqual([...DATA_KEY])
    expect(srv.received[0]!.path).toBe("/KeyService/Decrypt")
    // Only identifying fields travel: created_at and enc are not inside the Key message.
    expect(hex(srv.received[0]!.bytes)).toBe(hex(cat(ld(0x0a, key.bytes), ld(0x12, "QUJD"))))
  })
})

describe("server fed hand-encoded requests", () => {
  let server: KeyServiceServerHandle | null = null
  afterEach(async () => {
    await server?.close()
    server = null
  })

  it.each(KEYS)("decodes a $name Key into the same master key (without enc or created_at)", async ({ key, bytes }) => {
    const svc = recordingService({ enc: "WRAPPED" })
    server = await startKeyServiceServer({ keyServices: [svc], address: "127.0.0.1:0" })
    const res = await rawCall(server.address, "/KeyService/Encrypt", cat(ld(0x0a, bytes), ld(0x12, DATA_KEY)))
    expect(res.code).toBe(0)
    expect(hex(res.reply!)).toBe(hex(ld(0x0a, "WRAPPED")))
    expect(svc.calls).toHaveLength(1)
    const got = svc.calls[0]!
    expect([...got.data!]).toEqual([...DATA_KEY])
    const expected: Record<string, unknown> = { ...key, enc: "" }
    if ("createdAt" in key) expected["createdAt"] = ""
    expect(got.key).toEqual(expected)
  })

  it("passes the ciphertext bytes as enc and replies with DecryptResponse.plaintext", async () => {
    const svc = recordingService({ plain: DATA_KEY })
    server = await startKeyServiceServer({ keyServices: [svc], address: "127.0.0.1:0" })
    const res = await rawCall(server.address, "/KeyService/Decrypt", cat(ld(0x0a, ld(0x32, ld(0x0a, RECIPIENT))), ld(0x12, "ARMOR")))
    expect(res.code).toBe(0)
    expect(hex(res.reply!)).toBe(hex(ld(0x0a, DATA_KEY)))
    expect(svc.calls[0]!.key).toEqual(ageKey(RECIPIENT, "ARMOR"))
  })

  it.each([
    ["an empty Key", cat(ld(0x0a, new Uint8Array(0)), ld(0x12, DATA_KEY))],
    ["no Key at all", ld(0x12, DATA_KEY)],
    ["a Key with only an unknown field", cat(ld(0x0a, ld(0x4a, "x")), ld(0x12, DATA_KEY))],
  ])("answers NOT_FOUND \"Must provide a key\" to %s, on both methods", async (_name, request) => {
    const svc = recordingService()
    server = await startKeyServiceServer({ keyServices: [svc], address: "127.0.0.1:0" })
    for (const path of ["/KeyService/Encrypt", "/KeyService/Decrypt"]) {
      const res = await rawCall(server.address, path, request)
      expect(res).toMatchObject({ code: GrpcStatus.NOT_FOUND, details: "Must provide a key" })
    }
    expect(svc.calls).toHaveLength(0)
  })
})
