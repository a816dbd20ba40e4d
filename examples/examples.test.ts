/**
 * The examples are part of the product: each runs as a user would run it, against the
 * built packages, and its output is checked.
 */
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const run = promisify(execFile)
const root = fileURLToPath(new URL("..", import.meta.url))

describe("examples", () => {
  it("demo: decrypts the bundled file with the bundled demo key", async () => {
    const { stdout } = await run(process.execPath, ["examples/demo/run.mjs"], { cwd: root })
    expect(stdout).toContain("password: correct-horse-battery-staple")
    expect(stdout).toContain("# Demo application settings")
  })

  it("app-startup: loads a typed config through sops' key discovery", async () => {
    const { stdout } = await run(process.execPath, ["examples/app-startup/main.mjs"], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", HOME: "/nonexistent", SOPS_AGE_KEY_FILE: "examples/demo/age-key.txt" },
    })
    expect(stdout).toContain("database user: app (password has 28 characters)")
    expect(stdout).toContain("loadSecretsIntoEnv: ERR_UNSUPPORTED_VALUE")
  })

  it("embed-encrypt: encrypts to recipients passed in, decrypts, rotates and drops a key", async () => {
    const { stdout } = await run(process.execPath, ["examples/embed-encrypt/main.mjs"], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", HOME: "/nonexistent" },
    })
    expect(stdout).toContain("api_key: ENC[AES256_GCM,")
    expect(stdout).toContain("round trip: identical plaintext")
    expect(stdout).toContain("after rotation: Bob still decrypts")
    expect(stdout).toContain("after rotation: Alice is refused (ERR_NO_DATA_KEY)")
  })

  it("bulk-rekey: adds a recipient to 200 files in one call, and a rerun changes nothing", async () => {
    const { stdout } = await run(process.execPath, ["examples/bulk-rekey/main.mjs"], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", HOME: "/nonexistent" },
    })
    expect(stdout).toContain("updated: 200, not sops: 1, failed: 0")
    expect(stdout).toContain("carol decrypts secret-77: ok")
    expect(stdout).toContain("second run updated: 0")
  })
})
