/**
 * Third-party libraries that only some operations need, loaded on first use so that an app
 * which only decrypts does not pay for them at import time (cold start is a product
 * feature: see docs/performance.md). Both ship a CommonJS build, so a synchronous
 * `require` keeps the callers synchronous.
 * @module
 */
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

let yamlLib: typeof import("yaml") | undefined
let re2Lib: typeof import("re2js") | undefined

/** The `yaml` package (used to read `.sops.yaml`). */
export function yaml(): typeof import("yaml") {
  return (yamlLib ??= require("yaml") as typeof import("yaml"))
}

/** The `re2js` package (Go RE2 semantics for `path_regex` and the selection regexes). */
export function re2js(): typeof import("re2js") {
  return (re2Lib ??= require("re2js") as typeof import("re2js"))
}
