/** `sops keyservice` as the CLI mounts it: flags, listening, --prompt, shutdown. */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { isSopsError, type KeyService } from "@sops-ts/core"
import { keyServiceClient, runKeyServiceCommand, type KeyServiceCommandIo } from "../src/index.js"
import { ageKey, tempDir } from "./helpers.js"

/** Lines typed into stdin on demand. */
function typing(): { stdin: AsyncIterable<string>; type(line: string): void; end(): void } {
  const queue: (string | null)[] = []
  let wake: (() => void) | null = null
  return {
    stdin: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length === 0) await new Promise<void>((r) => (wake = r))
          const v = queue.shift()!
          if (v === null) return
          yield v
        }
      },
    },
    type(line) {
      queue.push(line + "\n")
      wake?.()
    },
    end() {
      queue.push(null)
      wake?.()
    },
  }
}

function fakeIo(extra: Partial<KeyServiceCommandIo> & { cwd: string }) {
  const out: string[] = []
  const err: string[] = []
  const ac = new AbortController()
  let listening: (url: string) => void = () => {}
  const url = new Promise<string>((r) => (listening = r))
  const io: KeyServiceCommandIo = {
    stdout: { write: (c) => out.push(String(c)) },
    stderr: { write: (c) => err.push(String(c)) },
    env: {},
    signal: ac.signal,
    onListening: (u) => listening(u),
    ...extra,
  }
  return { io, out, err, stop: () => ac.abort(), url }
}

let alice: { identity: string; recipient: string }
let services: KeyService[]
beforeAll(async () => {
  alice = await generateAgeIdentity()
  services = [ageKeyService({ identities: [alice.identity] })]
})

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe("runKeyServiceCommand", () => {
  it("serves on a unix socket relative to cwd until stopped, then removes it", async () => {
    const t = tempDir()
    cleanups.push(t.cleanup)
    const f = fakeIo({ cwd: t.dir })
    const run = runKeyServiceCommand(["--network", "unix", "--address=ks.sock"], f.io, services)
    const url = await f.url
    expect(url).toBe(`unix://${join(t.dir, "ks.sock")}`)
    expect(f.err.join("")).toContain(`Listening on unix://${join(t.dir, "ks.sock")}`)
    const c = keyServiceClient(url)
    const enc = await c.encrypt(ageKey(alice.recipient), new Uint8Array(32).fill(9))
    expect([...(await c.decrypt(ageKey(alice.recipient, enc)))]).toEqual([...new Uint8Array(32).fill(9)])
    c.close()
    f.stop()
    expect(await run).toBe(0)
    expect(f.err.join("")).toContain("shutting down")
    expect(existsSync(join(t.dir, "ks.sock"))).toBe(false)
  })

  it("accepts sops' short flag spellings (-net, -addr)", async () => {
    const f = fakeIo({ cwd: "/" })
    const run = runKeyServiceCommand(["-net", "tcp", "-addr", "127.0.0.1:0"], f.io, services)
    expect(await f.url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/)
    f.stop()
    expect(await run).toBe(0)
  })

  it("--prompt asks y/n for each request before using the key; n refuses, EOF refuses", async () => {
    const keyboard = typing()
    const f = fakeIo({ cwd: "/", stdin: keyboard.stdin })
    const run = runKeyServiceCommand(["--address", "127.0.0.1:0", "--prompt"], f.io, services)
    const c = keyServiceClient(await f.url)
    cleanups.push(() => c.close())

    const wrapping = c.encrypt(ageKey(alice.recipient), new Uint8Array(32))
    await waitFor(() => f.out.join("").includes("Respond to request?"))
    expect(f.out.join("")).toContain(`Received encrypt request using age ${alice.recipient}. Respond to request? (y/n): `)
    keyboard.type("maybe") // asked again
    keyboard.type("y")
    const enc = await wrapping
    expect(f.out.join("").match(/Respond to request\?/g)).toHaveLength(2)

    const refused = c.decrypt(ageKey(alice.recipient, enc)).catch((e: unknown) => e)
    keyboard.type("n")
    const err = await refused
    expect(isSopsError(err, "ERR_KEY_FAILED")).toBe(true)
    expect((err as Error).message).toContain("refused the request")

    keyboard.end()
    const afterEof = await c.decrypt(ageKey(alice.recipient, enc)).catch((e: unknown) => e)
    expect((afterEof as Error).message).toContain("Request rejected by user")
    f.stop()
    expect(await run).toBe(0)
  })

  it("--help prints usage; bad flags and networks exit 1 with a message", async () => {
    const h = fakeIo({ cwd: "/" })
    expect(await runKeyServiceCommand(["--help"], h.io, services)).toBe(0)
    expect(h.out.join("")).toContain("--network value, --net value")
    const bad = fakeIo({ cwd: "/" })
    expect(await runKeyServiceCommand(["--port", "1"], bad.io, services)).toBe(1)
    expect(bad.err.join("")).toContain("flag provided but not defined: -port")
    const net = fakeIo({ cwd: "/" })
    expect(await runKeyServiceCommand(["--network", "udp"], net.io, services)).toBe(1)
    expect(net.err.join("")).toContain('unsupported network "udp"')
  })

  it("an address already in use exits 1 with a message", async () => {
    const first = fakeIo({ cwd: "/" })
    const run = runKeyServiceCommand(["--address", "127.0.0.1:0"], first.io, services)
    const addr = (await first.url).replace("tcp://", "")
    const second = fakeIo({ cwd: "/" })
    expect(await runKeyServiceCommand(["--address", addr], second.io, services)).toBe(1)
    expect(second.err.join("")).toContain("Error running keyservice: cannot listen on tcp")
    first.stop()
    await run
  })
})

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(cond()).toBe(true)
}
