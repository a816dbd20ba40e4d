/**
 * Metrics in the Prometheus text exposition format: operation counts, failures and latency
 * per operation and key provider. Serve `render()` from an HTTP handler or write it to a
 * node_exporter textfile directory with `writeTextfile`.
 * @module
 */
import { writeFileAtomic, type SopsEvent } from "@sops-ts/core"
import type { EventSink } from "./sink.js"

/** Histogram buckets in seconds. */
export const LATENCY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

interface Series {
  count: number
  sum: number
  buckets: number[]
}

/** The key provider of an event: the type of the key that opened the data key, else of the first tried. */
export function providerOf(event: SopsEvent): string {
  const key = event.keyUsed ?? event.keysTried[0]
  return key === undefined ? "none" : (key.split(" ")[0] ?? "none")
}

function labels(l: Record<string, string>): string {
  return "{" + Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",") + "}"
}

/** A metrics sink. */
export interface MetricsSink extends EventSink {
  /** The metrics in Prometheus text format. */
  render(): string
  /** Writes `render()` atomically to `path` (for node_exporter's textfile collector). */
  writeTextfile(path: string): Promise<void>
}

/** Creates a metrics sink. */
export function prometheusSink(): MetricsSink {
  const ops = new Map<string, number>()
  const failures = new Map<string, number>()
  const latency = new Map<string, Series>()
  const bump = (m: Map<string, number>, k: string): void => {
    m.set(k, (m.get(k) ?? 0) + 1)
  }
  const sink: MetricsSink = {
    name: "prometheus",
    write(e) {
      const provider = providerOf(e)
      bump(ops, JSON.stringify({ operation: e.operation, provider, outcome: e.outcome }))
      if (e.outcome === "failure") bump(failures, JSON.stringify({ operation: e.operation, provider, code: e.errorCode ?? "unknown" }))
      const key = JSON.stringify({ operation: e.operation, provider })
      const s = latency.get(key) ?? { count: 0, sum: 0, buckets: LATENCY_BUCKETS.map(() => 0) }
      const secs = e.durationMs / 1000
      s.count++
      s.sum += secs
      LATENCY_BUCKETS.forEach((b, i) => {
        if (secs <= b) s.buckets[i]!++
      })
      latency.set(key, s)
    },
    async close() {},
    render() {
      const out: string[] = []
      out.push("# HELP sops_operations_total sops operations by operation, key provider and outcome.")
      out.push("# TYPE sops_operations_total counter")
      for (const [k, n] of [...ops].sort()) out.push(`sops_operations_total${labels(JSON.parse(k) as Record<string, string>)} ${n}`)
      out.push("# HELP sops_operation_failures_total failed sops operations by error code.")
      out.push("# TYPE sops_operation_failures_total counter")
      for (const [k, n] of [...failures].sort()) out.push(`sops_operation_failures_total${labels(JSON.parse(k) as Record<string, string>)} ${n}`)
      out.push("# HELP sops_operation_duration_seconds duration of sops operations.")
      out.push("# TYPE sops_operation_duration_seconds histogram")
      for (const [k, s] of [...latency].sort(([a], [b]) => a.localeCompare(b))) {
        const l = JSON.parse(k) as Record<string, string>
        LATENCY_BUCKETS.forEach((b, i) => out.push(`sops_operation_duration_seconds_bucket${labels({ ...l, le: String(b) })} ${s.buckets[i]}`))
        out.push(`sops_operation_duration_seconds_bucket${labels({ ...l, le: "+Inf" })} ${s.count}`)
        out.push(`sops_operation_duration_seconds_sum${labels(l)} ${s.sum}`)
        out.push(`sops_operation_duration_seconds_count${labels(l)} ${s.count}`)
      }
      return out.join("\n") + "\n"
    },
    async writeTextfile(path) {
      await writeFileAtomic(path, new TextEncoder().encode(sink.render()))
    },
  }
  return sink
}
