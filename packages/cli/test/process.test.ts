/**
 * The built executable (`dist/bin.js`, produced by `tsc -b`), as other tools run it.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describeWithTool } from "@sops-ts/testkit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyPair, tempDir } from "./helpers.js"

const pkgRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "..")
const bin = join(pkgRoot, "dist", "bin.js")
const built = existsSync(join(pkgRoot, "dist", "main.js"))
if (!built) console.warn(`[skipped] CLI process tests: ${bin} is not built (run \`npx tsc -b\`)`)
const conformance = resolve(pkgRoot, "../../../shared/conformance")

let dir: string
let cleanup: () => void
let kp: { identity: string; recipient: string }

function sopsTs(args: string[], env: Record<string, string> = {}, input?: string | Uint8Array) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "", HOME: dir, ...env },
    ...(input === undefined ? { stdio: ["ignore", "pipe", "pipe"] } : { input }),
  })
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString(), stdout: r.stdout }
}

describe.skipIf(!built)("sops-ts executable", () => {
  beforeAll(async () => {
    ;({ dir, cleanup } = tempDir())
    kp = await ageKeyPair()
  })
  afterAll(() => cleanup?.())

  it("round-trips with an age key and serves helm-secrets' invocations", () => {
    writeFileSync(join(dir, "values.yaml"), "password: hunter2\nreplicas: 3\n")
    const enc = sopsTs(["-e", "-i", "values.yaml"], { SOPS_AGE_RECIPIENTS: kp.recipient })
    expect(enc.code, enc.err).toBe(0)
    const encrypted = readFileSync(join(dir, "values.yaml"), "utf8")
    expect(encrypted).toMatch(/^sops:$/m)
    expect(encrypted).toMatch(/mac: ENC\[.*,type:str\]/)
    const key = { SOPS_AGE_KEY: kp.identity }
    const piped = sopsTs(["decrypt", "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"], key, encrypted)
    expect(piped.code, piped.err).toBe(0)
    expect(piped.out).toBe("password: hunter2\nreplicas: 3\n")
    const toFile = sopsTs(["--decrypt", "--input-type", "yaml", "--output-type", "yaml", "--output", "out.yaml", "values.yaml"], key)
    expect(toFile.code, toFile.err).toBe(0)
    expect(readFileSync(join(dir, "out.yaml"), "utf8")).toBe("password: hunter2\nreplicas: 3\n")
  })

  it("fails with sops' exit codes and a one-line message, no stack trace", () => {
    const missing = sopsTs(["decrypt", "missing.yaml"])
    expect(missing.code).toBe(100)
    expect(missing.err.trim().split("\n")).toHaveLength(1)
    writeFileSync(join(dir, "v2.yaml"), "a: b\n")
    sopsTs(["-e", "-i", "v2.yaml"], { SOPS_AGE_RECIPIENTS: kp.recipient })
    const nokey = sopsTs(["-d", "v2.yaml"])
    expect(nokey.code).toBe(128)
    expect(nokey.err).not.toMatch(/\n\s+at /)
    const verbose = sopsTs(["--verbose", "-d", "v2.yaml"])
    expect(verbose.err).toMatch(/\n\s+at /)
  })

  it("passes a child's exit status through and forwards SIGTERM", async () => {
    writeFileSync(join(dir, "env.yaml"), "A: b\n")
    sopsTs(["-e", "-i", "env.yaml"], { SOPS_AGE_RECIPIENTS: kp.recipient })
    expect(sopsTs(["exec-env", "env.yaml", 'test "$A" = b && exit 9'], { SOPS_AGE_KEY: kp.identity }).code).toBe(9)
    // The grandchild `sleep` shares our stdout pipe, so "close" (which waits for the pipe)
    // only fires once it is gone: the forwarded SIGTERM reached it. sops-ts itself must exit
    // normally with 128 + 15, not be killed by the signal.
    const child = spawn(process.execPath, [bin, "exec-env", "env.yaml", "echo ready; exec sleep 120"], {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "", HOME: dir, SOPS_AGE_KEY: kp.identity },
      stdio: ["ignore", "pipe", "pipe"],
    })
    const closed = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on("close", (c, s) => r([c, s])))
    await new Promise<void>((r) => child.stdout.once("data", () => r()))
    child.kill("SIGTERM")
    expect(await closed).toEqual([143, null])
  })

  describeWithTool("gpg", "a PGP conformance vector with a throw-away GNUPGHOME", () => {
    const vector = join(conformance, "getsops-sops/functional-tests/res/format.enc.yaml")
    const haveVector = existsSync(vector)
    it.skipIf(!haveVector)("decrypts to the upstream plaintext", () => {
      const home = tempDir("sops-ts-gpg-")
      try {
        const imp = spawnSync("gpg", ["--batch", "--homedir", home.dir, "--import", join(conformance, "getsops-sops/pgp/sops_functional_tests_key.asc")], { stdio: "ignore" })
        expect(imp.status).toBe(0)
        const r = sopsTs(["decrypt", vector], { GNUPGHOME: home.dir })
        expect(r.code, r.err).toBe(0)
        expect(r.out).toBe(readFileSync(`${vector}.plaintext`, "utf8"))
      } finally {
        spawnSync("gpgconf", ["--homedir", home.dir, "--kill", "gpg-agent"], { stdio: "ignore" })
        home.cleanup()
      }
    })
  })
})
