/**
 * Third-party libraries that only some operations need, loaded on first use so that an app
 * which only decrypts does not pay for them at import time (cold start is a product
 * feature: see docs/performance.md). Both ship a CommonJS build, so a synchronous
 * `require` keeps the callers synchronous.
 * @module
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const require = createRequire(import.meta.url)

/**
 * A one-file copy of `yaml` that the build writes next to the compiled core (see
 * tools/bundle.mjs). The package itself is about 70 CommonJS modules, and resolving and
 * compiling them took longer (about 18 ms) than reading any `.sops.yaml`; the single file
 * loads in about 6. Running from the TypeScript sources (tests), the file does not exist and
 * the package is loaded as installed.
 */
const VENDORED_YAML = fileURLToPath(new URL("./vendor/yaml.cjs", import.meta.url))

let yamlLib: typeof import("yaml") | undefined
let re2Lib: typeof import("re2js") | undefined

/** The `yaml` package (used to read `.sops.yaml`). */
export function yaml(): typeof import("yaml") {
  return (yamlLib ??= require(existsSync(VENDORED_YAML) ? VENDORED_YAML : "yaml") as typeof import("yaml"))
}

/** The `re2js` package (Go RE2 semantics for `path_regex` and the selection regexes). */
export function re2js(): typeof import("re2js") {
  return (re2Lib ??= require("re2js") as typeof import("re2js"))
}
