/**
 * The event-log plumbing: sinks receive core's operation events; a failing sink is reported
 * once and never disturbs the decrypt that produced the event.
 * @module
 */
import { onSopsEvent, type SopsEvent } from "@sops-ts/core"

/** A destination for events. */
export interface EventSink {
  /** A short name for messages (`jsonl /var/log/sops.jsonl`). */
  readonly name: string
  /** Records one event. May be asynchronous; rejections are reported, not thrown. */
  write(event: SopsEvent): void | Promise<void>
  /** Flushes and releases resources. */
  close(): Promise<void>
}

/** Options of {@link startEventLog}. */
export interface EventLogOptions {
  /** Where failure notices go (default: process.stderr). */
  readonly warn?: (message: string) => void
}

/** A running event log. */
export interface EventLog {
  /** Waits for every pending asynchronous write. */
  flush(): Promise<void>
  /** Stops listening, flushes and closes every sink. */
  close(): Promise<void>
}

/**
 * Subscribes `sinks` to core's events.
 * @example
 * ```ts
 * const log = startEventLog([jsonlSink({ path: "/var/log/sops-ts/events.jsonl" })])
 * await decryptFile("secrets.enc.yaml", { keyServices })
 * await log.close()
 * ```
 */
export function startEventLog(sinks: readonly EventSink[], options: EventLogOptions = {}): EventLog {
  const warn = options.warn ?? ((m: string) => process.stderr.write(m + "\n"))
  const failed = new Set<EventSink>()
  const pending = new Set<Promise<void>>()
  const report = (sink: EventSink, err: unknown): void => {
    if (failed.has(sink)) return
    failed.add(sink)
    warn(`sops-ts: audit sink ${sink.name} failed; events for it are being lost: ${err instanceof Error ? err.message : String(err)}`)
  }
  const off = onSopsEvent((event) => {
    for (const sink of sinks) {
      try {
        const r = sink.write(event)
        if (r instanceof Promise) {
          const p = r.catch((err: unknown) => report(sink, err)).finally(() => pending.delete(p))
          pending.add(p)
        }
      } catch (err) {
        report(sink, err)
      }
    }
  })
  const flush = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all([...pending])
  }
  return {
    flush,
    async close() {
      off()
      await flush()
      for (const sink of sinks) {
        try {
          await sink.close()
        } catch (err) {
          report(sink, err)
        }
      }
    },
  }
}
