// Bundles the built ES modules of the packages on every app's startup path into one file
// each (dist/bundle.js), which their package.json "exports" point at. Resolving and compiling
// ~70 small modules costs more than the decrypt itself in a fresh process; one file cuts that
// by two thirds (see docs/performance.md, cold start). tsc still emits the per-module files
// and the .d.ts types; this step only adds the bundle, and a one-file copy of `yaml` for core
// (below). Run after `tsc -b` (npm run build).
import { build } from "esbuild"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

const bundles = [
  // core's own lazy dependencies (yaml, re2js) stay external and load on first use.
  { pkg: "core", external: ["yaml", "re2js"] },
  // age loads typage, @noble and the SSH code only for the key types that need them.
  { pkg: "age", external: ["@sops-ts/core", "age-encryption", "@noble/*", "@scure/*", "bcrypt-pbkdf"] },
]

// `yaml` as one CommonJS file that core's lazy loader prefers to the installed package
// (packages/core/src/lazy-deps.ts): loading its ~70 modules one by one cost about 18 ms of
// every command that reads a .sops.yaml, three times what the single file costs.
const yamlEntry = createRequire(`${root}packages/core/package.json`).resolve("yaml")
// The package's licence travels with the copy, as its terms ask.
const yamlLicense = readFileSync(join(dirname(yamlEntry), "..", "LICENSE"), "utf8").trim()
await build({
  // Resolved as core's require("yaml") would resolve it.
  entryPoints: [yamlEntry],
  banner: { js: `/*! The yaml package (https://eemeli.org/yaml/), bundled into one file.\n${yamlLicense}\n*/` },
  outfile: `${root}packages/core/dist/vendor/yaml.cjs`,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  logLevel: "warning",
})

for (const { pkg, external } of bundles) {
  await build({
    entryPoints: { bundle: `${root}packages/${pkg}/dist/index.js` },
    outdir: `${root}packages/${pkg}/dist`,
    // Code behind dynamic import() (age's SSH and post-quantum paths) stays in its own chunk,
    // so its external imports are not hoisted into the startup path.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external,
    sourcemap: "linked",
    logLevel: "warning",
  })
}
