/** Shared helpers of the keyservice tests. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as grpc from "@grpc/grpc-js"
import type { AgeMasterKey, KeyService, MasterKey } from "@sops-ts/core"

/** An age master key as the core hands it to a key service. */
export function ageKey(recipient: string, enc = ""): AgeMasterKey {
  return { type: "age", recipient, enc }
}

/** A fresh temporary directory; `cleanup()` removes it. */
export function tempDir(prefix = "sops-ts-ks-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex")
}

/** A protobuf length-delimited field: tag byte, varint length (< 16384 here), payload. */
export function ld(tag: number, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === "string" ? new TextEncoder().encode(payload) : payload
  const len = body.length < 0x80 ? [body.length] : [(body.length & 0x7f) | 0x80, body.length >> 7]
  return new Uint8Array([tag, ...len, ...body])
}

/** Concatenates byte arrays. */
export function cat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => [...p]))
}

/** A key service that records calls and answers with fixed results (for server-side tests). */
export function recordingService(
  answer: { enc?: string; plain?: Uint8Array | null; error?: Error } = {},
): KeyService & { calls: { op: string; key: MasterKey; data?: Uint8Array }[] } {
  const calls: { op: string; key: MasterKey; data?: Uint8Array }[] = []
  return {
    name: "recording",
    calls,
    supports: () => true,
    async encrypt(key, dataKey) {
      calls.push({ op: "encrypt", key, data: new Uint8Array(dataKey) })
      if (answer.error) throw answer.error
      return answer.enc ?? "ENC"
    },
    async decrypt(key) {
      calls.push({ op: "decrypt", key })
      if (answer.error) throw answer.error
      return answer.plain === undefined ? new Uint8Array(32).fill(7) : answer.plain
    },
  }
}

const identity = (b: Buffer): Buffer => b

/**
 * A gRPC server that speaks raw bytes on sops' method paths: it records what a client sends
 * and replies with the given bytes, so tests see the exact wire encoding.
 */
export async function rawServer(reply: { encrypt?: Uint8Array; decrypt?: Uint8Array; error?: { code: number; details: string }; delayMs?: number }) {
  const received: { path: string; bytes: Uint8Array }[] = []
  const server = new grpc.Server()
  const method = (path: string, answer: Uint8Array | undefined) => ({
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    answer,
  })
  const defs = { Encrypt: method("/KeyService/Encrypt", reply.encrypt), Decrypt: method("/KeyService/Decrypt", reply.decrypt) }
  const handler = (def: (typeof defs)["Encrypt"]) => (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
    received.push({ path: def.path, bytes: new Uint8Array(call.request) })
    const send = (): void => {
      if (reply.error) cb(Object.assign(new Error(reply.error.details), reply.error))
      else cb(null, Buffer.from(def.answer ?? new Uint8Array(0)))
    }
    if (reply.delayMs) setTimeout(send, reply.delayMs)
    else send()
  }
  server.addService(defs as unknown as grpc.ServiceDefinition, { Encrypt: handler(defs.Encrypt), Decrypt: handler(defs.Decrypt) })
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? fail(err) : ok(p))),
  )
  return { uri: `tcp://127.0.0.1:${port}`, received, stop: () => server.forceShutdown() }
}

/** Sends raw request bytes to a key-service method and returns the status and raw reply. */
export async function rawCall(target: string, path: string, request: Uint8Array): Promise<{ code: number; details: string; reply: Uint8Array | null }> {
  const client = new grpc.Client(target, grpc.credentials.createInsecure())
  try {
    return await new Promise((ok) => {
      client.makeUnaryRequest<Buffer, Buffer>(path, identity, identity, Buffer.from(request), (err, res) => {
        if (err) ok({ code: err.code, details: err.details, reply: null })
        else ok({ code: 0, details: "", reply: new Uint8Array(res ?? Buffer.alloc(0)) })
      })
    })
  } finally {
    client.close()
  }
}
