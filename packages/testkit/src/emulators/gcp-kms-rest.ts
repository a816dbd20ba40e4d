/**
 * The REST front end of the GCP KMS emulator: `POST /v1/{name}:encrypt` and `:decrypt` with
 * proto3 JSON bodies and Google's JSON error envelope, over plain HTTP on loopback; and the
 * OAuth 2.0 token endpoint, `POST /token` (see {@link GcpIdentity.token}).
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { GcpKmsMethod, GcpKmsState, GcpKmsStatus } from "./gcp-kms-state.js"
import type { GcpIdentity } from "./gcp-oauth.js"

const HTTP_STATUS: Readonly<Record<GcpKmsStatus, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
}

const ROUTE = /^\/v1\/(.+):(encrypt|decrypt)$/
/** Path of the token endpoint on this server. */
export const TOKEN_PATH = "/token"
const MAX_BODY = 1024 * 1024

/** A running REST front end. */
export interface GcpKmsRestServer {
  readonly port: number
  stop(): Promise<void>
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

function sendError(res: ServerResponse, status: GcpKmsStatus | "NOT_FOUND_ROUTE" | "METHOD", message: string): void {
  if (status === "NOT_FOUND_ROUTE") return send(res, 404, { error: { code: 404, message, status: "NOT_FOUND" } })
  if (status === "METHOD") return send(res, 405, { error: { code: 405, message, status: "INVALID_ARGUMENT" } })
  const code = HTTP_STATUS[status]
  send(res, code, { error: { code, message, status } })
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString("utf8")
}

function decodeBase64Field(v: unknown): Uint8Array | null {
  if (v === undefined) return new Uint8Array(0)
  if (typeof v !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) return null
  return new Uint8Array(Buffer.from(v.replace(/-/g, "+").replace(/_/g, "/"), "base64"))
}

/** `POST /token`: the OAuth error body is JSON `{error, error_description}`, as Google's. */
async function handleToken(identity: GcpIdentity, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "POST") return send(res, 405, { error: "invalid_request", error_description: `Method ${req.method ?? ""} not allowed.` })
  const text = await readBody(req)
  if (text === null) return send(res, 413, { error: "invalid_request", error_description: "Request too large." })
  const out = identity.token(req.headers["content-type"], text)
  send(res, out.status, out.body)
}

async function handle(state: GcpKmsState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost")
  if (url.pathname === TOKEN_PATH) return handleToken(state.identity, req, res)
  const route = ROUTE.exec(url.pathname)
  if (route === null) return sendError(res, "NOT_FOUND_ROUTE", `The requested URL ${url.pathname} was not found on this server.`)
  if (req.method !== "POST") return sendError(res, "METHOD", `Method ${req.method ?? ""} not allowed.`)
  const name = route[1]!.split("/").map(decodeURIComponent).join("/")
  const method: GcpKmsMethod = route[2] === "encrypt" ? "Encrypt" : "Decrypt"
  const text = await readBody(req)
  let body: Record<string, unknown>
  try {
    if (text === null) throw new Error("too large")
    const parsed: unknown = text === "" ? {} : JSON.parse(text)
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object")
    body = parsed as Record<string, unknown>
  } catch {
    return sendError(res, "INVALID_ARGUMENT", "Invalid JSON payload received.")
  }
  const data = decodeBase64Field(method === "Encrypt" ? body["plaintext"] : body["ciphertext"])
  if (data === null) return sendError(res, "INVALID_ARGUMENT", "Invalid value at 'plaintext' or 'ciphertext' (TYPE_BYTES): not base64.")
  const auth = req.headers.authorization
  const out = await state.handle({ transport: "rest", method, name, data, authorization: auth })
  if (!out.ok) return sendError(res, out.status, out.message)
  // google-gax asks for numeric enums ($alt=json;enum-encoding=int); SOFTWARE = 1.
  const software = (url.searchParams.get("$alt") ?? "").includes("enum-encoding=int") ? 1 : "SOFTWARE"
  if (out.method === "Encrypt") {
    return send(res, 200, { name: out.name, ciphertext: Buffer.from(out.ciphertext).toString("base64"), protectionLevel: software })
  }
  send(res, 200, { plaintext: Buffer.from(out.plaintext).toString("base64"), usedPrimary: true, protectionLevel: software })
}

/** Serves the REST API on 127.0.0.1 (ephemeral port). */
export async function startGcpKmsRest(state: GcpKmsState): Promise<GcpKmsRestServer> {
  const server = createServer((req, res) => {
    handle(state, req, res).catch(() => {
      if (!res.headersSent) sendError(res, "INTERNAL", "Internal error.")
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  let stopped = false
  return {
    port,
    stop: async () => {
      if (stopped) return
      stopped = true
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
