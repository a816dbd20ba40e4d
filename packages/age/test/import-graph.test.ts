/**
 * Importing `@sops-ts/age` and decrypting an X25519 `enc` must not load typage
 * (`age-encryption`), the noble/scure libraries behind it or `bcrypt-pbkdf`: they cost tens
 * of milliseconds of cold start. Runs the built package (`dist`) in a child process with a
 * module-loader hook that records every loaded URL.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { ageKey, tempDir } from "./helpers.js"
import { lockedSshData, lockedSshEnc, lockedSshKey, lockedSshPassphrase, lockedSshRecipient } from "./ssh-encrypted-vectors.js"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
const pkg = join(repoRoot, "packages/age")

/** The first source file whose built `.js` is missing or older than it, else null. */
function staleSource(dir: string, rel = ""): string | null {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = join(rel, e.name)
    if (e.isDirectory()) {
      const s = staleSource(dir, r)
      if (s !== null) return s
    } else if (r.endsWith(".ts") && !r.endsWith(".d.ts")) {
      // Declaration-only files (types for an untyped dependency) produce no .js.
      const built = join(pkg, "dist", r.replace(/\.ts$/, ".js"))
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(dir, r)).mtimeMs) return r
    }
  }
  return null
}

function distState(): string | null {
  if (!existsSync(join(repoRoot, "packages/core/dist/index.js"))) return "packages/core/dist is not built"
  const stale = staleSource(join(pkg, "src"))
  return stale === null ? null : `packages/age/dist is missing or older than src/${stale}`
}

const skipReason = distState()
// `npm test` builds first, so under CI a stale dist is a broken build, not a reason to skip.
if (skipReason !== null && process.env["CI"] === "true") {
  it("has a fresh packages/age/dist under CI", () => {
    expect.fail(skipReason)
  })
} else if (skipReason !== null) {
  console.warn(`[skipped] import-graph test: ${skipReason}; run \`npx tsc -b packages/core packages/age\` first`)
}

const HOOKS = `import { appendFileSync } from "node:fs"
let file = null
export function initialize(data) { file = data.file }
export async function load(url, context, nextLoad) {
  appendFileSync(file, url + "\\n")
  return nextLoad(url, context)
}
`

describe.skipIf(skipReason !== null)("import graph of @sops-ts/age (built dist, child process)", () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  function loadedModules(script: string, env: Record<string, string>): { urls: string[]; stdout: string } {
    const hooks = join(tmp.dir, "hooks.mjs")
    const register = join(tmp.dir, "register.mjs")
    const log = join(tmp.dir, `modules-${Math.random().toString(36).slice(2)}.txt`)
    writeFileSync(hooks, HOOKS)
    writeFileSync(
      register,
      `import { register } from "node:module"\nregister(${JSON.stringify(new URL(`file://${hooks}`).href)}, { data: { file: ${JSON.stringify(log)} } })\n`,
    )
    writeFileSync(log, "")
    const stdout = execFileSync(process.execPath, ["--import", register, "--input-type=module", "-e", script], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      encoding: "utf8",
    })
    return { urls: readFileSync(log, "utf8").split("\n").filter((l) => l !== ""), stdout }
  }

  const DECRYPT = `
    import { ageKeyService } from "@sops-ts/age"
    const svc = ageKeyService({ identities: [process.env.T_IDENTITY] })
    const out = await svc.decrypt({ type: "age", recipient: process.env.T_RECIPIENT, enc: process.env.T_ENC })
    if (process.env.T_CONTROL) await import("age-encryption")
    process.stdout.write(Buffer.from(out).toString("hex"))
  `
  // bcrypt-pbkdf (and tweetnacl behind it) unlock passphrase-protected SSH keys only.
  const heavy = (u: string): boolean => /\/node_modules\/(age-encryption|@noble|@scure|bcrypt-pbkdf|tweetnacl)\//.test(u)

  async function fixture(): Promise<Record<string, string> & { T_KEY: string }> {
    const { identity, recipient } = await generateAgeIdentity()
    const dataKey = new Uint8Array(randomBytes(32))
    const enc = await ageKeyService().encrypt(ageKey(recipient), dataKey)
    return { T_IDENTITY: identity, T_RECIPIENT: recipient, T_ENC: enc, T_KEY: Buffer.from(dataKey).toString("hex") }
  }

  it("decrypting an X25519 enc loads no age-encryption, @noble or @scure module", async () => {
    const env = await fixture()
    const { urls, stdout } = loadedModules(DECRYPT, env)
    expect(stdout).toBe(env.T_KEY)
    // The package's entry (the bundled dist/bundle.js, see tools/bundle.mjs) was loaded.
    expect(urls.some((u) => u.includes("/packages/age/dist/"))).toBe(true)
    expect(urls.filter(heavy)).toEqual([])
  })

  it("unlocking a passphrase-protected SSH key loads bcrypt-pbkdf from node_modules, not bundled", () => {
    // Bundled into an ES module, tweetnacl (under bcrypt-pbkdf) fails on require("crypto").
    const script = `
      import { ageKeyService } from "@sops-ts/age"
      const svc = ageKeyService({ identities: [process.env.T_IDENTITY], onSshPassphrase: () => process.env.T_PASSPHRASE })
      const out = await svc.decrypt({ type: "age", recipient: process.env.T_RECIPIENT, enc: process.env.T_ENC })
      process.stdout.write(Buffer.from(out).toString("hex"))
    `
    const env = { T_IDENTITY: lockedSshKey, T_PASSPHRASE: lockedSshPassphrase, T_RECIPIENT: lockedSshRecipient, T_ENC: lockedSshEnc }
    const { urls, stdout } = loadedModules(script, env)
    expect(stdout).toBe(lockedSshData)
    expect(urls.some((u) => u.includes("/node_modules/bcrypt-pbkdf/"))).toBe(true)
  })

  it("the hook does see typage when it is loaded (control)", async () => {
    const env = await fixture()
    const { urls, stdout } = loadedModules(DECRYPT, { ...env, T_CONTROL: "1" })
    expect(stdout).toBe(env.T_KEY)
    expect(urls.some((u) => u.includes("/node_modules/age-encryption/"))).toBe(true)
  })
})
