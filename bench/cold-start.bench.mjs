// Issue 7, part 3: cold start, and the import graph of core + age.
//
// Fresh `node` processes, alternating: `node -e 0` (the runtime alone), our import + decrypt
// of a 20-value age-encrypted YAML file, and the same with sops-age. Wall time per process,
// medians. A separate, untimed child records every module loaded to check that importing core
// and age pulls in no cloud SDK.
import { spawnSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { encrypt } from "@sops-ts/core"
import { ageSetup, plainYaml } from "./lib/fixtures.mjs"
import { median, ms, pairedRatio, ratio } from "./lib/timing.mjs"

/** Target: our cold start at most this many times `node -e 0`. */
const MAX_RATIO = 2

/** Package scopes and names of cloud SDKs that core + age must never load. */
const CLOUD_SDK = /node_modules\/(@aws-sdk|@smithy|@aws-crypto|@google-cloud|google-auth-library|google-gax|@azure|@grpc|@hashicorp|node-vault)\//

const lib = (name) => fileURLToPath(new URL(`./lib/${name}`, import.meta.url))

function timeProcess(args, cwd) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"] })
  const t = performance.now() - t0
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed (${r.status}): ${r.stderr}`)
  return t
}

export async function run(ctx) {
  const age = await ageSetup()
  const file = join(ctx.tmpDir, "app.enc.yaml")
  const idFile = join(ctx.tmpDir, "keys.txt")
  writeFileSync(file, await encrypt(plainYaml(20), { format: "yaml", keys: [age.masterKey()], keyServices: [age.encryptService] }))
  writeFileSync(idFile, `${age.identity}\n`)

  const contenders = {
    "node -e 0": ["-e", "0"],
    ours: [lib("cold-ours.mjs"), file, idFile],
    "sops-age": [lib("cold-sops-age.mjs"), file, idFile],
  }
  const names = Object.keys(contenders)
  const rounds = ctx.quick ? 5 : 15
  const samples = Object.fromEntries(names.map((n) => [n, []]))
  // One untimed round warms the OS file cache for every contender.
  for (const n of names) timeProcess(contenders[n], ctx.repoRoot)
  ctx.log(`${rounds} alternating rounds of ${names.join(", ")}`)
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(i + k) % names.length]
      samples[n].push(timeProcess(contenders[n], ctx.repoRoot))
    }
  }
  const base = median(samples["node -e 0"])
  const ours = median(samples.ours)
  const peer = median(samples["sops-age"])
  const of = (n) => ({ samples: samples[n] })
  const oursX = pairedRatio(of("ours"), of("node -e 0"))
  const peerX = pairedRatio(of("sops-age"), of("node -e 0"))
  const rows = [
    {
      name: "cold start: import core + age, decrypt 20-value YAML",
      value: `${ms(ours)} vs node -e 0 ${ms(base)}: ${ratio(oursX)}`,
      target: `≤ ${MAX_RATIO}× node -e 0`,
      met: oursX <= MAX_RATIO,
      data: { ratio: oursX, samples },
    },
    {
      name: "cold start: sops-age, same file",
      value: `${ms(peer)}: ${ratio(peerX)} node -e 0`,
      target: null,
      met: null,
      data: { ratio: peerX },
    },
  ]

  // The import graph, recorded by a child that is not timed.
  const esmLog = join(ctx.tmpDir, "esm.txt")
  const cjsLog = join(ctx.tmpDir, "cjs.txt")
  writeFileSync(esmLog, "")
  const r = spawnSync(process.execPath, ["--import", lib("module-log.mjs"), lib("cold-ours.mjs"), file, idFile], {
    cwd: ctx.repoRoot,
    env: { ...process.env, BENCH_LIST_ESM: esmLog, BENCH_LIST_MODULES: cjsLog },
    stdio: ["ignore", "ignore", "pipe"],
  })
  if (r.status !== 0) throw new Error(`module-listing child failed: ${r.stderr}`)
  const loaded = [
    ...readFileSync(esmLog, "utf8").split("\n"),
    ...readFileSync(cjsLog, "utf8").split("\n").map((p) => `file://${p}`),
  ].filter((u) => u.startsWith("file://") && !u.includes("/bench/lib/"))
  const unique = [...new Set(loaded)]
  const cloud = unique.filter((u) => CLOUD_SDK.test(u))
  const packages = new Set(
    unique.map((u) => {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)
      return m ? m[1] : u.includes("/packages/") ? `@sops-ts/${u.split("/packages/")[1].split("/")[0]}` : "other"
    }),
  )
  rows.push({
    name: "import core + age: cloud SDK modules loaded",
    value: cloud.length === 0 ? "none" : `${cloud.length} (${cloud.slice(0, 3).map((u) => u.replace(/^.*node_modules\//, "")).join(", ")}…)`,
    target: "none",
    met: cloud.length === 0,
    data: { cloud },
  })
  rows.push({
    name: "import core + age: import graph",
    value: `${unique.length} modules from ${packages.size} packages`,
    target: null,
    met: null,
    note: `packages: ${[...packages].sort().join(", ")}`,
    data: { modules: unique.map((u) => u.replace(/^file:\/\/.*?(node_modules|packages)\//, "$1/")) },
  })
  return rows
}
