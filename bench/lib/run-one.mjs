// Runs one benchmark file in this (child) process: `node --expose-gc run-one.mjs <file>`.
// Progress goes to stderr; the rows go to stdout after a `@@ROWS@@` marker line.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const file = process.argv[2]
const repoRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))))
const tmpDir = await mkdtemp(join(tmpdir(), "sops-ts-bench-"))
const ctx = {
  log: (m) => process.stderr.write(`   ${m}\n`),
  tmpDir,
  repoRoot,
  quick: process.env.BENCH_QUICK === "1",
}
try {
  const mod = await import(pathToFileURL(file).href)
  if (typeof mod.run !== "function") throw new Error(`${file} does not export run(ctx)`)
  const rows = await mod.run(ctx)
  process.stdout.write(`\n@@ROWS@@${JSON.stringify(rows)}`)
} finally {
  await rm(tmpDir, { recursive: true, force: true })
}
