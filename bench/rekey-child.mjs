// One measured bulk re-key, in its own process so its peak RSS is its own:
//   node bench/rekey-child.mjs <config-json>
// config: { dir, concurrency, workers, kmsUrl, credentials, addRecipient }
// Prints one JSON line: { wallMs, files, updated, failed, maxRssBytes, cpuMs, mainThreadCpuMs,
// otherThreadsCpuMs, eventLoopIdleMs, firstError }. The per-thread split comes from /proc
// (Linux; null elsewhere) and, like the event-loop idle time, covers the measured run only.
//
// The age key service has NO identity: as on a CI runner that holds KMS access but not the
// age private key, every file's data key is unwrapped through the KMS (20 ms per call), and
// the new age recipient is wrapped locally.
//
// With `workers` > 0 the files are processed on that many worker threads, each building its
// key services from rekey-key-services.mjs; otherwise everything runs on this thread with
// the same services.
import { readFileSync, readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { rekey } from "@sops-ts/rekey"

const cfg = JSON.parse(process.argv[2])
const servicesModule = fileURLToPath(new URL("./rekey-key-services.mjs", import.meta.url))
const servicesOptions = { kmsUrl: cfg.kmsUrl, credentials: cfg.credentials }
const workers = cfg.workers ?? 0
// In-process runs build the services here (loading the SDK is part of either run's cost).
const services = workers > 0 ? null : (await import(servicesModule)).createKeyServices(servicesOptions)
/** CPU ms of this process's main thread and of all its threads, from /proc; null off Linux. */
function threadCpu() {
  try {
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    const ms = (tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8")
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      return (Number(f[11]) + Number(f[12])) * 10
    }
    let all = 0
    for (const tid of readdirSync("/proc/self/task")) all += ms(tid)
    return { main: ms(process.pid), all }
  } catch {
    return null
  }
}

const loopBefore = performance.eventLoopUtilization()
const cpuBefore = threadCpu()
const started = performance.now()
const result = await rekey({
  files: [cfg.dir],
  operation: "updatekeys",
  cwd: cfg.dir,
  ...(workers > 0 ? { workers, keyServicesModule: servicesModule, keyServicesOptions: servicesOptions } : { keyServices: services }),
  concurrency: cfg.concurrency,
  useGit: false,
})
const wallMs = performance.now() - started
for (const s of services ?? []) s.close?.()
const cpuAfter = threadCpu()
const loop = performance.eventLoopUtilization(loopBefore)
const usage = process.resourceUsage()
process.stdout.write(
  JSON.stringify({
    wallMs,
    files: result.files.length,
    updated: result.totals.updated,
    failed: result.totals.failed,
    maxRssBytes: usage.maxRSS * 1024,
    cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
    mainThreadCpuMs: cpuBefore && cpuAfter ? cpuAfter.main - cpuBefore.main : null,
    otherThreadsCpuMs: cpuBefore && cpuAfter ? cpuAfter.all - cpuAfter.main - (cpuBefore.all - cpuBefore.main) : null,
    // Time the event loop waited with nothing to run (every file in flight waiting on I/O).
    eventLoopIdleMs: Math.round(loop.idle),
    firstError: result.files.find((f) => f.error)?.error ?? null,
  }) + "\n",
)
