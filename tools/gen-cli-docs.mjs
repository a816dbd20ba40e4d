#!/usr/bin/env node
// Writes docs/cli.md from the --help output of the built sops-ts (run `npx tsc -b` first).
// `--check` compares instead of writing and exits 1 when the file is out of date.
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { renderCliReference } from "../packages/cli/dist/reference.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const bin = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url))
const target = fileURLToPath(new URL("../docs/cli.md", import.meta.url))

// A clean environment, so SOPS_* variables of the caller cannot change the output.
const help = async (argv) => execFileSync(process.execPath, [bin, ...argv], { cwd: root, env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" })
const text = await renderCliReference(help)

if (process.argv.includes("--check")) {
  let current = ""
  try {
    current = readFileSync(target, "utf8")
  } catch {
    // A missing file is out of date.
  }
  if (current !== text) {
    console.error("docs/cli.md is out of date: run `node tools/gen-cli-docs.mjs`")
    process.exit(1)
  }
} else {
  writeFileSync(target, text)
  console.error(`wrote ${target}`)
}
