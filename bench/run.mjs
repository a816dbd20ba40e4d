// `npm run bench`: runs every benchmark in bench/, prints one table, writes
// bench/results/latest.json and docs/performance.md.
//
// THE BENCHMARK INTERFACE (read this if you add a benchmark, e.g. bench/rekey.bench.mjs)
//
//   A benchmark is a file `bench/<name>.bench.mjs` exporting
//
//     export async function run(ctx) { ...; return rows }
//
//   ctx:
//     ctx.log(message)  progress line on stderr (the table is printed by the orchestrator)
//     ctx.tmpDir        a fresh private directory, deleted after the benchmark
//     ctx.repoRoot      absolute path of the repository
//     ctx.quick         true under `BENCH_QUICK=1`: use fewer iterations (for smoke tests)
//
//   rows: an array of
//     {
//       name:   string            what was measured, e.g. "bulk re-key, 1,000 files"
//       value:  string            the figure as shown, e.g. "812 ms (0.81 ms/file)"
//       target: string | null     e.g. "≤ 1.30× floor"; null for an informational row
//       met:    boolean | null    whether the target is met; null = informational or not run
//       note?:  string            why a target is missed, or why a row was not run
//       data?:  object            raw numbers for the JSON results (medians, samples, ...)
//     }
//
//   Every row with a target and a boolean `met` counts towards the final line
//   `targets: N met, M missed`. A benchmark that throws counts as one missed target.
//   Report ratios measured in the same run (absolute times differ between machines), and
//   keep a benchmark under ~2 minutes on 2 cores.
//
// Each benchmark runs in its own `node --expose-gc` child (bench/lib/run-one.mjs), so the
// memory and JIT state of one cannot bias the next, and timings can collect garbage between
// samples. Benchmarks import the BUILT packages (`@sops-ts/*` → packages/*/dist), which is
// why the npm script runs `tsc -b` first.
import { spawn } from "node:child_process"
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { machineInfo } from "./lib/machine.mjs"
import { printTable, renderMarkdown, tally } from "./lib/report.mjs"

const benchDir = dirname(fileURLToPath(import.meta.url))
const repoRoot = dirname(benchDir)

/** Fixed order of the sections; other benchmarks follow alphabetically. */
const ORDER = ["throughput", "peers", "cold-start", "memory", "scaling", "rekey"]

async function benchmarks() {
  const only = process.argv.slice(2)
  const files = (await readdir(benchDir)).filter((f) => f.endsWith(".bench.mjs"))
  const rank = (f) => {
    const i = ORDER.indexOf(f.replace(/\.bench\.mjs$/, ""))
    return i === -1 ? ORDER.length : i
  }
  files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  return only.length ? files.filter((f) => only.some((o) => f.startsWith(o))) : files
}

function runOne(file) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(
      process.execPath,
      ["--expose-gc", join(benchDir, "lib", "run-one.mjs"), join(benchDir, file)],
      { stdio: ["ignore", "pipe", "inherit"], cwd: repoRoot },
    )
    let out = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (d) => (out += d))
    child.on("close", (code) => {
      const seconds = (Date.now() - started) / 1000
      const marker = out.lastIndexOf("\n@@ROWS@@")
      if (code === 0 && marker !== -1) {
        resolve({ file, seconds, rows: JSON.parse(out.slice(marker + 9)) })
        return
      }
      resolve({
        file,
        seconds,
        rows: [
          {
            name: `${file} (benchmark failed)`,
            value: `exit code ${code}`,
            target: "runs to completion",
            met: false,
            note: out.slice(-500).trim() || "see the error above",
          },
        ],
      })
    })
  })
}

const sections = []
const files = await benchmarks()
for (const file of files) {
  process.stderr.write(`\n== ${file}\n`)
  const result = await runOne(file)
  process.stderr.write(`   (${result.seconds.toFixed(0)} s)\n`)
  sections.push(result)
}

if (process.argv.length <= 2 && !files.includes("rekey.bench.mjs")) {
  // Part 6 of the issue: the re-keying benchmark belongs to the rekey package's engineer.
  sections.push({
    file: "rekey.bench.mjs",
    seconds: 0,
    rows: [{ name: "bulk re-keying", value: "not run", target: "runs as part of npm run bench", met: null, note: "bench/rekey.bench.mjs does not exist yet" }],
  })
}

const machine = await machineInfo(repoRoot)
const counts = tally(sections)
const results = { machine, counts, sections }
await mkdir(join(benchDir, "results"), { recursive: true })
await writeFile(join(benchDir, "results", "latest.json"), JSON.stringify(results, null, 2) + "\n")
if (process.argv.length <= 2 && !process.env.BENCH_QUICK) {
  // Only a full run may replace the published table.
  const page = join(repoRoot, "docs", "performance.md")
  const previous = await readFile(page, "utf8").catch(() => null)
  await writeFile(page, renderMarkdown(results, previous))
}
printTable(sections, machine)
if (counts.notRun > 0) process.stdout.write(`(${counts.notRun} row(s) not run; see their notes)\n`)
process.stdout.write(`targets: ${counts.met} met, ${counts.missed} missed\n`)
