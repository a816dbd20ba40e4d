/**
 * Client ↔ server over real sockets with the real age provider on the server side: the client
 * process holds no identity, the server does.
 */
import { join } from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { decrypt, encrypt, isSopsError, SopsError, type KeyService } from "@sops-ts/core"
import { keyServiceClient, startKeyServiceServer, type KeyServiceRequest, type KeyServiceServerHandle, type RemoteKeyService } from "../src/index.js"
import { ageKey, tempDir } from "./helpers.js"

const PLAIN = "db:\n    user: admin\n    password: hunter2\nport: 5432\n"

let alice: { identity: string; recipient: string }
let bob: { identity: string; recipient: string }
beforeAll(async () => {
  alice = await generateAgeIdentity()
  bob = await generateAgeIdentity()
})

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function serve(options: { network?: "tcp" | "unix"; address?: string; approve?: (r: KeyServiceRequest) => boolean | Promise<boolean> } = {}): Promise<KeyServiceServerHandle> {
  const server = await startKeyServiceServer({
    keyServices: [ageKeyService({ identities: [alice.identity] })],
    address: "127.0.0.1:0",
    ...options,
  })
  cleanups.push(() => server.close())
  return server
}

function client(uri: string, options: Parameters<typeof keyServiceClient>[1] = {}): RemoteKeyService {
  const c = keyServiceClient(uri, options)
  cleanups.push(() => c.close())
  return c
}

async function expectSopsError(p: Promise<unknown>, code: string): Promise<SopsError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(isSopsError(err), `expected a SopsError ${code}, got ${String(err)}`).toBe(true)
  expect((err as SopsError).code).toBe(code)
  return err as SopsError
}

describe.each([
  ["tcp", async () => `tcp://${(await serve()).address}`],
  [
    "unix",
    async () => {
      const t = tempDir()
      cleanups.push(t.cleanup)
      const server = await serve({ network: "unix", address: join(t.dir, "sops.sock") })
      return `unix://${server.address}`
    },
  ],
] as const)("round trip over %s", (_network, start) => {
  it("wraps with the server's provider and unwraps again", async () => {
    const remote = client(await start())
    const dataKey = new Uint8Array(32).map((_, i) => 255 - i)
    const enc = await remote.encrypt(ageKey(alice.recipient), dataKey)
    expect(enc.startsWith("-----BEGIN AGE ENCRYPTED FILE-----\n")).toBe(true)
    expect(enc.endsWith("-----END AGE ENCRYPTED FILE-----\n")).toBe(true)
    // The enc string is an ordinary age file: the identity alone opens it, locally.
    const local = await ageKeyService({ identities: [alice.identity] }).decrypt(ageKey(alice.recipient, enc))
    expect([...local!]).toEqual([...dataKey])
    const back = await remote.decrypt(ageKey(alice.recipient, enc))
    expect(back).toBeInstanceOf(Uint8Array)
    expect([...back]).toEqual([...dataKey])
  })

  it("reports a key the server cannot open as ERR_KEY_FAILED with the server's reason", async () => {
    const remote = client(await start())
    const enc = await ageKeyService().encrypt(ageKey(bob.recipient), new Uint8Array(32))
    const err = await expectSopsError(remote.decrypt(ageKey(bob.recipient, enc)), "ERR_KEY_FAILED")
    expect(err.message).toContain(bob.recipient)
    expect(err.message).toMatch(/age/)
  })
})

describe("files through the core", () => {
  it("a file encrypted through the remote key service decrypts locally", async () => {
    const server = await serve()
    const remote = client(`tcp://${server.address}`)
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys: [ageKey(alice.recipient)], keyServices: [remote] })
    expect(new TextDecoder().decode(encrypted)).not.toContain("hunter2")
    const out = await decrypt(encrypted, { format: "yaml", keyServices: [ageKeyService({ identities: [alice.identity] })] })
    expect(new TextDecoder().decode(out)).toBe(PLAIN)
  })

  it("a file encrypted locally decrypts through the remote key service", async () => {
    const server = await serve()
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys: [ageKey(alice.recipient)], keyServices: [ageKeyService()] })
    const out = await decrypt(encrypted, { format: "yaml", keyServices: [client(`tcp://${server.address}`)] })
    expect(new TextDecoder().decode(out)).toBe(PLAIN)
  })
})

describe("approval hook", () => {
  it("asks before using the key and sees the identifying fields", async () => {
    const seen: KeyServiceRequest[] = []
    const server = await serve({ approve: (r) => (seen.push(r), true) })
    const remote = client(`tcp://${server.address}`)
    const enc = await remote.encrypt(ageKey(alice.recipient), new Uint8Array(32))
    await remote.decrypt(ageKey(alice.recipient, enc))
    expect(seen.map((r) => r.operation)).toEqual(["encrypt", "decrypt"])
    expect(seen[0]!.key).toEqual(ageKey(alice.recipient, ""))
    expect(seen[1]!.key).toEqual(ageKey(alice.recipient, enc))
  })

  it("refusal: the client reports that the key service refused, and the key was never used", async () => {
    let used = 0
    const counting: KeyService = {
      ...ageKeyService({ identities: [alice.identity] }),
      name: "age",
      supports: (k) => k.type === "age",
      async encrypt() {
        used++
        return "never"
      },
      async decrypt() {
        used++
        return new Uint8Array(32)
      },
    }
    const server = await startKeyServiceServer({ keyServices: [counting], address: "127.0.0.1:0", approve: () => false })
    cleanups.push(() => server.close())
    const uri = `tcp://${server.address}`
    const remote = client(uri)
    const err = await expectSopsError(remote.decrypt(ageKey(alice.recipient, "x")), "ERR_KEY_FAILED")
    expect(err.message).toContain(`the key service at ${uri} refused the request`)
    expect(err.message).toContain("Request rejected by user")
    expect(err.details).toMatchObject({ refused: true })
    const wrapErr = await expectSopsError(remote.encrypt(ageKey(alice.recipient), new Uint8Array(32)), "ERR_KEY_WRAP")
    expect(wrapErr.message).toContain("refused the request")
    expect(used).toBe(0)
  })

  it("refusal while decrypting a file: the report names the refusal and the next key opens it", async () => {
    const server = await serve({ approve: async () => false })
    const uri = `tcp://${server.address}`
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys: [ageKey(alice.recipient)], keyServices: [ageKeyService()] })
    const err = await expectSopsError(decrypt(encrypted, { format: "yaml", keyServices: [client(uri)] }), "ERR_NO_DATA_KEY")
    expect(err.message).toContain(`the key service at ${uri} refused the request`)
    const ok = await decrypt(encrypted, { format: "yaml", keyServices: [client(uri), ageKeyService({ identities: [alice.identity] })] })
    expect(new TextDecoder().decode(ok)).toBe(PLAIN)
  })
})

describe("failures", () => {
  let downUri: string
  beforeAll(async () => {
    // A port that was just listening and is now closed: nothing answers there.
    const s = await startKeyServiceServer({ keyServices: [], address: "127.0.0.1:0" })
    downUri = `tcp://${s.address}`
    await s.close()
  })
  afterAll(() => undefined)

  it("server down: ERR_KEY_FAILED quickly, naming the address", async () => {
    const remote = client(downUri, { delay: async () => {} })
    const err = await expectSopsError(remote.decrypt(ageKey(alice.recipient, "x")), "ERR_KEY_FAILED")
    expect(err.message).toContain(`cannot reach key service ${downUri}`)
  })

  it("server down (unix socket that does not exist) with the default retry delays stays quick", async () => {
    const t = tempDir()
    cleanups.push(t.cleanup)
    const remote = client(`unix://${join(t.dir, "missing.sock")}`)
    await expectSopsError(remote.encrypt(ageKey(alice.recipient), new Uint8Array(32)), "ERR_KEY_WRAP")
  })

  it("server down: the next key service is tried, when encrypting and decrypting", async () => {
    const down = client(downUri, { delay: async () => {} })
    const local = ageKeyService({ identities: [alice.identity] })
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys: [ageKey(alice.recipient)], keyServices: [down, local] })
    const out = await decrypt(encrypted, { format: "yaml", keyServices: [down, local] })
    expect(new TextDecoder().decode(out)).toBe(PLAIN)
  })

  it("server down: the next key of the file is tried", async () => {
    const server = await serve()
    const remote = client(`tcp://${server.address}`)
    // Two keys: bob's (only the dead service would be asked for it) and alice's (served remotely).
    const encrypted = await encrypt(PLAIN, {
      format: "yaml",
      keys: [ageKey(bob.recipient), ageKey(alice.recipient)],
      keyServices: [ageKeyService()],
    })
    const down = client(downUri, { delay: async () => {} })
    const attempts: string[] = []
    const out = await decrypt(encrypted, {
      format: "yaml",
      keyServices: [down, remote],
      onKeyAttempt: (a) => attempts.push(`${a.service}:${a.ok}`),
    })
    expect(new TextDecoder().decode(out)).toBe(PLAIN)
    expect(attempts[0]).toBe(`keyservice ${downUri}:false`)
    expect(attempts.at(-1)).toBe(`keyservice tcp://${server.address}:true`)
  })

  it("a file with two keys: the key behind the (now stopped) key service fails, the local age key opens it", async () => {
    const server = await serve()
    const uri = `tcp://${server.address}`
    const remote = client(uri, { delay: async () => {} })
    // Both keys are wrapped through the remote service (age needs only the recipient to wrap).
    const encrypted = await encrypt(PLAIN, { format: "yaml", keys: [ageKey(alice.recipient), ageKey(bob.recipient)], keyServices: [remote] })
    await server.close()
    const attempts: { key: string; service: string | null; ok: boolean; reason: string }[] = []
    const out = await decrypt(encrypted, {
      format: "yaml",
      keyServices: [remote, ageKeyService({ identities: [bob.identity] })],
      onKeyAttempt: (a) => attempts.push({ key: a.key, service: a.service, ok: a.ok, reason: a.reason }),
    })
    expect(new TextDecoder().decode(out)).toBe(PLAIN)
    expect(attempts[0]).toMatchObject({ key: `age ${alice.recipient}`, service: `keyservice ${uri}`, ok: false })
    expect(attempts[0]!.reason).toContain(`cannot reach key service ${uri}`)
    expect(attempts.at(-1)).toMatchObject({ key: `age ${bob.recipient}`, service: "age", ok: true })
  })

  it("retries UNAVAILABLE with backoff, a bounded number of times", async () => {
    const delays: number[] = []
    const remote = client(downUri, { retries: 3, delay: async (n) => void delays.push(n) })
    await expectSopsError(remote.decrypt(ageKey(alice.recipient, "x")), "ERR_KEY_FAILED")
    expect(delays).toEqual([1, 2, 3])
  })

  it("a server slower than the deadline: ERR_KEY_FAILED (timeout), so the next key is still tried", async () => {
    const slow: KeyService = {
      name: "slow",
      supports: () => true,
      encrypt: () => new Promise(() => {}),
      decrypt: (_k, o) =>
        new Promise((_, reject) => o?.signal?.addEventListener("abort", () => reject(new SopsError("ERR_ABORTED", "aborted")))),
    }
    const server = await startKeyServiceServer({ keyServices: [slow], address: "127.0.0.1:0" })
    cleanups.push(() => server.close())
    const remote = client(`tcp://${server.address}`, { timeoutMs: 200 })
    const err = await expectSopsError(remote.decrypt(ageKey(alice.recipient, "x")), "ERR_KEY_FAILED")
    expect(err.message).toContain("did not answer within 200 ms")
    expect(err.details).toMatchObject({ timeout: true })
  })

  it("the caller's signal aborts a call in flight with ERR_ABORTED", async () => {
    const slow: KeyService = { name: "slow", supports: () => true, encrypt: () => new Promise(() => {}), decrypt: () => new Promise(() => {}) }
    const server = await startKeyServiceServer({ keyServices: [slow], address: "127.0.0.1:0" })
    cleanups.push(() => server.close())
    const remote = client(`tcp://${server.address}`)
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 100)
    await expectSopsError(remote.decrypt(ageKey(alice.recipient, "x"), { signal: ac.signal }), "ERR_ABORTED")
    await expectSopsError(remote.decrypt(ageKey(alice.recipient, "x"), { signal: ac.signal }), "ERR_ABORTED")
  })

  it("a server without a provider for the key type answers with a clear reason", async () => {
    const server = await serve()
    const remote = client(`tcp://${server.address}`)
    const err = await expectSopsError(
      remote.decrypt({ type: "gcp_kms", resourceId: "projects/p/locations/l/keyRings/r/cryptoKeys/k", createdAt: "", enc: "x" }),
      "ERR_KEY_FAILED",
    )
    expect(err.message).toContain("no provider for gcp_kms keys")
  })

  it("a server that is not a key service", async () => {
    const { rawServer } = await import("./helpers.js")
    const srv = await rawServer({ error: { code: 12, details: "unknown service KeyService" } })
    cleanups.push(srv.stop)
    const err = await expectSopsError(client(srv.uri).decrypt(ageKey(alice.recipient, "x")), "ERR_KEY_FAILED")
    expect(err.message).toContain("is not a sops key service")
  })
})
