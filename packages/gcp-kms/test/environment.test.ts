/**
 * Configuration without the network: the sops environment variables, endpoint parsing,
 * error classification and the lazy SDK import.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { inspect } from "node:util"
import { describe, expect, it } from "vitest"
import { isSopsError } from "@sops-ts/core"
import { gcpKmsOptionsFromEnvironment, isGcpKmsResourceId, parseEndpoint, gcpKmsKeyService } from "../src/index.js"
import { classify, safeCause } from "../src/classify.js"
import { decodeStdBase64 as fromBase64, encodeStdBase64 as toBase64 } from "@sops-ts/core"

const files = (existing: Record<string, string>) => ({ readIfExists: (p: string) => existing[p] })

describe("gcpKmsOptionsFromEnvironment", () => {
  it("reads GOOGLE_CREDENTIALS as a file path when the file exists", () => {
    const o = gcpKmsOptionsFromEnvironment({ GOOGLE_CREDENTIALS: "/etc/sa.json", GOOGLE_OAUTH_ACCESS_TOKEN: "tok" }, files({ "/etc/sa.json": '{"type":"service_account"}' }))
    expect(o).toEqual({ credentials: '{"type":"service_account"}' })
  })

  it("takes GOOGLE_CREDENTIALS as the JSON itself when no such file exists", () => {
    const o = gcpKmsOptionsFromEnvironment({ GOOGLE_CREDENTIALS: '{"type":"authorized_user"}' }, files({}))
    expect(o).toEqual({ credentials: '{"type":"authorized_user"}' })
  })

  it("uses GOOGLE_OAUTH_ACCESS_TOKEN only without GOOGLE_CREDENTIALS; empty values count as unset", () => {
    expect(gcpKmsOptionsFromEnvironment({ GOOGLE_CREDENTIALS: "", GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.x" }, files({}))).toEqual({ accessToken: "ya29.x" })
    expect(gcpKmsOptionsFromEnvironment({}, files({}))).toEqual({})
  })

  it("selects REST with SOPS_GCP_KMS_CLIENT_TYPE=rest (any case), gRPC otherwise", () => {
    expect(gcpKmsOptionsFromEnvironment({ SOPS_GCP_KMS_CLIENT_TYPE: "REST" }, files({})).transport).toBe("rest")
    expect(gcpKmsOptionsFromEnvironment({ SOPS_GCP_KMS_CLIENT_TYPE: "grpc" }, files({})).transport).toBeUndefined()
  })

  it("prefers SOPS_GCP_KMS_ENDPOINT over SOPS_GCP_KMS_UNIVERSE_DOMAIN", () => {
    expect(gcpKmsOptionsFromEnvironment({ SOPS_GCP_KMS_ENDPOINT: "kms.example:443", SOPS_GCP_KMS_UNIVERSE_DOMAIN: "s3nsapis.fr" }, files({}))).toEqual({ apiEndpoint: "kms.example:443" })
    expect(gcpKmsOptionsFromEnvironment({ SOPS_GCP_KMS_UNIVERSE_DOMAIN: "s3nsapis.fr" }, files({}))).toEqual({ universeDomain: "s3nsapis.fr" })
  })
})

describe("parseEndpoint", () => {
  it.each([
    ["cloudkms.s3nsapis.fr", "grpc", { host: "cloudkms.s3nsapis.fr", port: 443, protocol: "https" }],
    ["127.0.0.1:8443", "grpc", { host: "127.0.0.1", port: 8443, protocol: "https" }],
    ["https://kms.example/", "rest", { host: "kms.example", port: 443, protocol: "https" }],
    ["http://127.0.0.1:9000", "rest", { host: "127.0.0.1", port: 9000, protocol: "http" }],
    ["[::1]:9000", "grpc", { host: "[::1]", port: 9000, protocol: "https" }],
  ] as const)("%s (%s)", (input, transport, expected) => {
    expect(parseEndpoint(input, transport)).toEqual(expected)
  })

  it.each([
    ["http://127.0.0.1:9000", "grpc"],
    ["ftp://x", "rest"],
    ["https://x/v1/path", "rest"],
    ["host:99999", "grpc"],
    ["::1", "grpc"],
  ] as const)("rejects %s (%s)", (input, transport) => {
    expect(() => parseEndpoint(input, transport)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })
})

describe("resource ids", () => {
  it("accepts crypto keys only", () => {
    expect(isGcpKmsResourceId("projects/p/locations/global/keyRings/r/cryptoKeys/k")).toBe(true)
    expect(isGcpKmsResourceId("projects/p/locations/global/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1")).toBe(false)
    expect(isGcpKmsResourceId("projects//locations/global/keyRings/r/cryptoKeys/k")).toBe(false)
  })
})

describe("classify", () => {
  it("treats missing application default credentials as 'no credentials'", () => {
    const c = classify(new Error("Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information."))
    expect(c).toMatchObject({ status: "NO_CREDENTIALS", retryable: false })
  })

  it("retries throttling and outages but not denials", () => {
    const grpcErr = (code: number) => Object.assign(new Error(`${code} X: d`), { code, details: "d" })
    expect(classify(grpcErr(8)).retryable).toBe(true)
    expect(classify(grpcErr(14)).retryable).toBe(true)
    expect(classify(grpcErr(7)).retryable).toBe(false)
    expect(classify(grpcErr(16)).retryable).toBe(false)
    const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) })
    expect(classify(refused)).toMatchObject({ status: "UNAVAILABLE", retryable: true })
  })

  it("reads REST errors from google-auth-library's HTTP client (gaxios): the envelope's status, else the HTTP code", () => {
    // What a REST call authenticated by credentials (not a bearer token) throws on a non-2xx answer.
    const gaxios = (status: number, body: string) =>
      Object.assign(new Error(body), { name: "GaxiosError", code: status, status, response: { status }, config: { body: '{"plaintext":"c2VjcmV0"}' } })
    const denied = classify(gaxios(403, JSON.stringify({ error: { code: 403, message: "Permission 'cloudkms.cryptoKeyVersions.useToDecrypt' denied", status: "PERMISSION_DENIED" } })))
    expect(denied).toEqual({ status: "PERMISSION_DENIED", retryable: false, reason: expect.stringContaining("(PERMISSION_DENIED: Permission 'cloudkms.cryptoKeyVersions.useToDecrypt' denied)") })
    expect(classify(gaxios(400, JSON.stringify({ error: { code: 400, message: "disabled", status: "FAILED_PRECONDITION" } })))).toMatchObject({ status: "FAILED_PRECONDITION" })
    expect(classify(gaxios(429, "Too Many Requests"))).toMatchObject({ status: "RESOURCE_EXHAUSTED", retryable: true })
    expect(classify(gaxios(503, "<html>unavailable</html>"))).toMatchObject({ status: "UNAVAILABLE", retryable: true, reason: expect.stringContaining("HTTP 503") })
    expect(classify(gaxios(401, ""))).toMatchObject({ status: "UNAUTHENTICATED", retryable: false })
  })

  it("keeps no request (an Encrypt body is the plaintext data key) in the cause it passes on", () => {
    const socket = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" })
    const err = Object.assign(new Error("request to http://kms failed"), { code: "ECONNREFUSED", config: { body: '{"plaintext":"c2VjcmV0"}' }, cause: socket })
    const safe = safeCause(err) as Error & { code?: unknown }
    expect(safe).not.toBe(err)
    expect(safe).toMatchObject({ message: "request to http://kms failed", code: "ECONNREFUSED" })
    expect(safe.cause).toBe(socket)
    expect(inspect(safe, { depth: 10 })).not.toContain("c2VjcmV0")
    const plain = new Error("14 UNAVAILABLE: no connection")
    expect(safeCause(plain)).toBe(plain)
  })
})

describe("credentials", () => {
  it("reports malformed GOOGLE_CREDENTIALS as a key failure without echoing them", async () => {
    const svc = gcpKmsKeyService({ credentials: "not json -----BEGIN PRIVATE KEY-----" })
    const err = await svc.encrypt({ type: "gcp_kms", resourceId: "projects/p/locations/l/keyRings/r/cryptoKeys/k", enc: "", createdAt: "" }, new Uint8Array(32)).catch((e: unknown) => e)
    expect(isSopsError(err, "ERR_KEY_WRAP")).toBe(true)
    expect((err as Error).message).toContain("GOOGLE_CREDENTIALS")
    expect((err as Error).message).not.toContain("PRIVATE KEY")
  })

  it("rejects nonsensical numeric options up front", () => {
    expect(() => gcpKmsKeyService({ maxAttempts: 0 })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
    expect(() => gcpKmsKeyService({ timeoutMs: Number.NaN })).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })
})

describe("base64 like Go's StdEncoding", () => {
  it("round-trips and rejects unpadded, URL-safe and junk input", () => {
    const b = Uint8Array.from([0xfb, 0xff, 0x01])
    expect(fromBase64(toBase64(b))).toEqual(b)
    expect(fromBase64("+/8B")).toEqual(b)
    expect(fromBase64("-_8B")).toBeNull()
    expect(fromBase64("AAA")).toBeNull()
    expect(fromBase64("AA==\n")).toEqual(new Uint8Array([0]))
  })
})

describe("lazy SDK loading", () => {
  it("no source file imports @google-cloud/kms or gRPC at module load", () => {
    const dir = join(import.meta.dirname, "..", "src")
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      const src = readFileSync(join(dir, f), "utf8")
      const staticImports = [...src.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1])
      expect(staticImports.filter((m) => m === "@google-cloud/kms" || m === "@grpc/grpc-js" || m === "google-gax"), f).toEqual([])
    }
  })
})
