/**
 * `sops-ts keyservice` serves this machine's keys; `--keyservice` lets another process use
 * them without holding any identity itself.
 */
import { spawn } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyPair, run, tempDir } from "./helpers.js"

const bin = join(resolve(fileURLToPath(new URL(".", import.meta.url)), ".."), "dist", "bin.js")
const built = existsSync(bin)
if (!built) console.warn(`[skipped] keyservice process test: ${bin} is not built (run \`npx tsc -b\`)`)

describe.skipIf(!built)("sops-ts keyservice", () => {
  let dir: string
  let cleanup: () => void
  let server: ReturnType<typeof spawn> | undefined

  beforeAll(() => {
    ;({ dir, cleanup } = tempDir())
  })
  afterAll(() => {
    server?.kill("SIGTERM")
    cleanup?.()
  })

  it("serves age keys over a unix socket to a client that holds no identity", async () => {
    const kp = await ageKeyPair()
    const sock = join(dir, "ks.sock")
    server = spawn(process.execPath, [bin, "keyservice", "--network", "unix", "--address", sock], {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "", HOME: dir, SOPS_AGE_KEY: kp.identity },
      stdio: ["ignore", "pipe", "pipe"],
    })
    await new Promise<void>((ok, fail) => {
      let seen = ""
      const onData = (d: Buffer): void => {
        seen += d.toString()
        if (existsSync(sock)) ok()
      }
      server!.stdout!.on("data", onData)
      server!.stderr!.on("data", onData)
      server!.on("exit", (c) => fail(new Error(`keyservice exited ${c}: ${seen}`)))
      const poll = setInterval(() => {
        if (existsSync(sock)) {
          clearInterval(poll)
          ok()
        }
      }, 50)
    })
    writeFileSync(join(dir, "s.yaml"), "token: abc\n")
    // Encrypting needs only the recipient; decrypting goes through the remote service.
    const enc = await run(["encrypt", "--age", kp.recipient, "-i", "s.yaml"], { cwd: dir })
    expect(enc.code, enc.stderr).toBe(0)
    const local = await run(["decrypt", "s.yaml"], { cwd: dir })
    expect(local.code).toBe(128)
    const remote = await run(["decrypt", "--enable-local-keyservice=false", "--keyservice", `unix://${sock}`, "s.yaml"], { cwd: dir })
    expect(remote.code, remote.stderr).toBe(0)
    expect(remote.out).toBe("token: abc\n")
    expect(readFileSync(join(dir, "s.yaml"), "utf8")).toContain("ENC[AES256_GCM")
  })
})
