/** Key-service URIs (`--keyservice`, `SOPS_KEYSERVICE`) and the cheap-import guarantee. */
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { isSopsError } from "@sops-ts/core"
import { keyServiceClient, parseKeyServiceUri, PROTO_PATH, remoteKeyService } from "../src/index.js"
import { ageKey } from "./helpers.js"

describe("parseKeyServiceUri", () => {
  it.each([
    ["tcp://127.0.0.1:5000", "tcp", "127.0.0.1:5000", "dns:127.0.0.1:5000"],
    ["tcp://localhost:5000", "tcp", "localhost:5000", "dns:localhost:5000"],
    ["tcp://[::1]:5000", "tcp", "[::1]:5000", "dns:[::1]:5000"],
    ["tcp4://10.0.0.1:1", "tcp", "10.0.0.1:1", "dns:10.0.0.1:1"],
    ["unix:///run/sops/ks.sock", "unix", "/run/sops/ks.sock", "unix:///run/sops/ks.sock"],
    ["unix:/tmp/ks.sock", "unix", "/tmp/ks.sock", "unix:///tmp/ks.sock"],
  ])("%s", (uri, network, address, target) => {
    expect(parseKeyServiceUri(uri)).toEqual({ network, address, target, uri })
  })

  it.each([
    ["127.0.0.1:5000", /expected tcp:\/\/host:port|unsupported scheme/],
    ["http://127.0.0.1:5000", /unsupported scheme "http"/],
    ["tcp://127.0.0.1", /missing port/],
    ["tcp://:5000", /missing host|not a valid URL/],
    ["tcp://h:1/path", /only host:port/],
    ["unix://relative.sock", /no host/],
    ["unix:relative.sock", /must be absolute/],
    ["", /expected/],
  ])("%s is skipped with a warning", (uri, reason) => {
    const warnings: string[] = []
    expect(parseKeyServiceUri(uri, (w) => warnings.push(w))).toBeNull()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain("Error parsing URI for keyservice, skipping")
    expect(warnings[0]).toMatch(reason)
  })

  it("keyServiceClient rejects an unusable URI with ERR_INVALID_ARGUMENT", () => {
    let err: unknown
    try {
      keyServiceClient("http://x:1")
    } catch (e) {
      err = e
    }
    expect(isSopsError(err, "ERR_INVALID_ARGUMENT")).toBe(true)
  })

  it("remoteKeyService skips an unusable URI: it warns and supports no key", async () => {
    const warnings: string[] = []
    const svc = remoteKeyService("bogus", { warn: (w) => warnings.push(w) })
    expect(warnings).toHaveLength(1)
    expect(svc.supports(ageKey("age1x"))).toBe(false)
    await expect(svc.decrypt(ageKey("age1x", "e"))).rejects.toMatchObject({ code: "ERR_KEY_UNAVAILABLE" })
  })

  it("the client supports every key type", () => {
    const c = keyServiceClient("tcp://127.0.0.1:1")
    for (const type of ["age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"] as const) {
      expect(c.supports({ type } as never)).toBe(true)
    }
    c.close()
  })
})

describe("packaging", () => {
  it("loads gRPC only lazily: no source file imports it at module level", () => {
    const dir = fileURLToPath(new URL("../src/", import.meta.url))
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      const src = readFileSync(dir + f, "utf8")
      const staticImports = src.split("\n").filter((l) => /^\s*import\s(?!type\b).*from\s+"@grpc\//.test(l))
      expect(staticImports, f).toEqual([])
    }
  })

  it("ships the .proto next to src/ and dist/ (../proto) and lists it in package files", () => {
    expect(PROTO_PATH.endsWith("/packages/keyservice/proto/keyservice.proto")).toBe(true)
    expect(readFileSync(PROTO_PATH, "utf8")).not.toMatch(/^\s*package\s/m)
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { files: string[] }
    expect(pkg.files).toContain("proto")
  })
})
