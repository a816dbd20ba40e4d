/**
 * The KMS clients' HTTP transport on its own, against loopback servers: what it sends, what it
 * hands the SDK back, and how it fails (abort, timeout, oversized or cut-off responses, TLS
 * that does not verify). The SDK round trips through it are in key-service.test.ts.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { createServer as createHttpsServer } from "node:https"
import type { AddressInfo, Socket } from "node:net"
import { createSelfSignedCert } from "@sops-ts/testkit"
import { afterEach, describe, expect, it } from "vitest"
import { KmsHttpHandler, type SdkHttpRequest } from "../src/http-handler.js"

const servers: Server[] = []
const handlers: KmsHttpHandler[] = []

afterEach(async () => {
  for (const h of handlers.splice(0)) h.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

/** A loopback HTTP server running `reply` for each request; records what it received. */
async function serve(reply: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void): Promise<{ port: number; seen: Seen[]; sockets: Set<Socket> }> {
  const seen: Seen[] = []
  const sockets = new Set<Socket>()
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const s = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }
      seen.push(s)
      reply(req, res, s)
    })
  })
  server.on("connection", (s: Socket) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
  return { port: (server.address() as AddressInfo).port, seen, sockets }
}

function handler(options: Partial<ConstructorParameters<typeof KmsHttpHandler>[0]> = {}): KmsHttpHandler {
  const h = new KmsHttpHandler({ maxSockets: 8, ...options })
  handlers.push(h)
  return h
}

function post(port: number, extra: Partial<SdkHttpRequest> = {}): SdkHttpRequest {
  return {
    protocol: "http:",
    hostname: "127.0.0.1",
    port,
    method: "POST",
    path: "/",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.Decrypt" },
    body: '{"CiphertextBlob":"AAAA"}',
    ...extra,
  }
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code?: string }
  }
  throw new Error("expected the request to fail")
}

describe("KmsHttpHandler", () => {
  it("sends the method, path, query, headers and body, and returns status, headers and the whole body", async () => {
    const srv = await serve((_req, res) => {
      res.setHeader("x-amzn-requestid", "req-1")
      res.setHeader("x-multi", ["a", "b"])
      res.writeHead(400, "Bad Request", { "content-type": "application/x-amz-json-1.1" })
      res.write('{"__type":"InvalidCiphertextException",')
      res.end('"message":""}')
    })
    const h = handler()
    const { response } = await h.handle(post(srv.port, { path: "/v1", query: { b: "x y", a: ["1", "2"], flag: null } }))
    expect(srv.seen[0]).toMatchObject({ method: "POST", url: "/v1?a=1&a=2&b=x%20y&flag", body: '{"CiphertextBlob":"AAAA"}' })
    expect(srv.seen[0]!.headers["x-amz-target"]).toBe("TrentService.Decrypt")
    expect(response.statusCode).toBe(400)
    expect(response.reason).toBe("Bad Request")
    expect(response.headers).toMatchObject({ "x-amzn-requestid": "req-1", "x-multi": "a, b" })
    expect(response.body).toBeInstanceOf(Uint8Array)
    expect(new TextDecoder().decode(response.body)).toBe('{"__type":"InvalidCiphertextException","message":""}')
  })

  it("percent-encodes the query as the SDK does (RFC 3986, so also !'()*)", async () => {
    const srv = await serve((_req, res) => res.end("{}"))
    await handler().handle(post(srv.port, { query: { "k(1)": "it's *!" } }))
    expect(srv.seen[0]!.url).toBe("/?k%281%29=it%27s%20%2A%21")
  })

  it("keeps connections alive and opens at most maxSockets of them", async () => {
    const srv = await serve((_req, res) => setTimeout(() => res.end("{}"), 20))
    const h = handler({ maxSockets: 3 })
    let peak = 0
    const watch = setInterval(() => (peak = Math.max(peak, srv.sockets.size)), 2)
    await Promise.all(Array.from({ length: 12 }, () => h.handle(post(srv.port))))
    await Promise.all(Array.from({ length: 6 }, () => h.handle(post(srv.port))))
    clearInterval(watch)
    expect(srv.seen).toHaveLength(18)
    expect(peak).toBe(3)
    expect(srv.sockets.size).toBe(3)
  })

  it("aborts a request in flight when the SDK's signal fires", async () => {
    const srv = await serve(() => undefined) // never answers
    const h = handler()
    const controller = new AbortController()
    const pending = h.handle(post(srv.port), { abortSignal: controller.signal })
    while (srv.seen.length === 0) await new Promise((r) => setTimeout(r, 2))
    controller.abort()
    expect((await rejection(pending)).name).toBe("AbortError")
    // The connection is closed, not left waiting for an answer nobody reads.
    while (srv.sockets.size > 0) await new Promise((r) => setTimeout(r, 2))
    expect((await rejection(h.handle(post(srv.port), { abortSignal: AbortSignal.abort() }))).name).toBe("AbortError")
    expect(srv.seen).toHaveLength(1)
  })

  it("also aborts through the SDK's older signal shape (an onabort slot, no addEventListener)", async () => {
    const srv = await serve(() => undefined) // never answers
    const h = handler()
    let previousCalled = false
    const signal: { aborted: boolean; onabort: ((ev: unknown) => void) | null } = { aborted: false, onabort: () => (previousCalled = true) }
    const before = signal.onabort
    const pending = h.handle(post(srv.port), { abortSignal: signal })
    while (srv.seen.length === 0) await new Promise((r) => setTimeout(r, 2))
    signal.aborted = true
    signal.onabort?.({ type: "abort" })
    expect((await rejection(pending)).name).toBe("AbortError")
    // The owner's own handler still ran, and got its slot back.
    expect(previousCalled).toBe(true)
    expect(signal.onabort).toBe(before)
  })

  it("gives up on a request after its timeout and closes the connection", async () => {
    const srv = await serve(() => undefined)
    const h = handler({ requestTimeoutMs: 60_000 })
    const err = await rejection(h.handle(post(srv.port), { requestTimeout: 50 }))
    expect(err.name).toBe("TimeoutError")
    expect(err.message).toContain("50 ms")
    while (srv.sockets.size > 0) await new Promise((r) => setTimeout(r, 2))
  })

  it("refuses a response body above the limit", async () => {
    const srv = await serve((_req, res) => res.end("x".repeat(5000)))
    const err = await rejection(handler({ maxResponseBytes: 4096 }).handle(post(srv.port)))
    expect(err.message).toContain("larger than 4096 bytes")
  })

  it("reports a connection cut in the middle of a response as a reset, which the service retries", async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "100" })
      res.write("{")
      setTimeout(() => res.socket?.destroy(), 10)
    })
    const err = await rejection(handler().handle(post(srv.port)))
    expect(err.code).toBe("ECONNRESET")
  })

  it("passes socket errors through with their code", async () => {
    const srv = await serve(() => undefined)
    const port = srv.port
    await new Promise((r) => servers.pop()!.close(r))
    for (const s of srv.sockets) s.destroy()
    expect((await rejection(handler().handle(post(port)))).code).toBe("ECONNREFUSED")
  })

  it("speaks TLS to https endpoints and verifies the certificate", async () => {
    const cert = createSelfSignedCert()
    const server = createHttpsServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.end("{}"))
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const port = (server.address() as AddressInfo).port
    // A self-signed certificate is not trusted: the TLS handshake ran and refused it.
    const err = await rejection(handler().handle(post(port, { protocol: "https:" })))
    expect(err.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/)
  })
})
