/**
 * The built core reads `.sops.yaml` with the one-file copy of `yaml` that tools/bundle.mjs
 * writes to dist/vendor (loading the installed package's ~70 modules took about 18 ms of
 * every command that reads a config). Runs the built package in a child process and looks at
 * which files Node's CommonJS loader compiled.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const coreDir = fileURLToPath(new URL("..", import.meta.url))
const vendored = join(coreDir, "dist/vendor/yaml.cjs")
const built = existsSync(join(coreDir, "dist/bundle.js")) && existsSync(vendored)
const reason = "packages/core/dist is not built with its vendored yaml (npm run build)"
// `npm test` builds first, so under CI a missing file is a broken build, not a reason to skip.
if (!built && process.env["CI"] === "true") {
  it("has packages/core/dist/vendor/yaml.cjs under CI", () => {
    expect.fail(reason)
  })
} else if (!built) console.warn(`[skipped] vendored-yaml test: ${reason}`)

const CHILD = `
import { createRequire } from "node:module"
const { loadConfig } = await import("@sops-ts/core")
const config = await loadConfig(process.argv[1])
const cache = Object.keys(createRequire(import.meta.url).cache)
console.log(JSON.stringify({ rules: config.data.creationRules.length, cache }))
`

describe.skipIf(!built)("the built core's .sops.yaml reader", () => {
  it("loads yaml from the single vendored file, not the package's modules, and reads the config", () => {
    const dir = mkdtempSync(join(tmpdir(), "sops-ts-vendored-yaml-"))
    try {
      const config = join(dir, ".sops.yaml")
      writeFileSync(config, "creation_rules:\n  - path_regex: a\\.yaml$\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n  - age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n")
      const out = JSON.parse(
        execFileSync(process.execPath, ["--input-type=module", "-e", CHILD, config], { cwd: coreDir, encoding: "utf8" }),
      ) as { rules: number; cache: string[] }
      expect(out.rules).toBe(2)
      expect(out.cache).toContain(vendored)
      expect(out.cache.filter((f) => f.includes(`${sep}node_modules${sep}yaml${sep}`))).toEqual([])
      // The copy carries the package's licence, as its terms ask of every copy.
      const license = readFileSync(join(dirname(createRequire(join(coreDir, "package.json")).resolve("yaml")), "..", "LICENSE"), "utf8").trim()
      expect(readFileSync(vendored, "utf8")).toContain(license)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
