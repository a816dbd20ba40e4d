/**
 * The default event sink: one JSON object per line, appended and fsync'd before the
 * operation returns, with size-based rotation (`events.jsonl` → `events.jsonl.1` → ...).
 * @module
 */
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from "node:fs"
import { dirname } from "node:path"
import type { SopsEvent } from "@sops-ts/core"
import type { EventSink } from "./sink.js"

/** Options of {@link jsonlSink}. */
export interface JsonlSinkOptions {
  readonly path: string
  /** Rotate before a write would make the file larger than this (default 10 MiB; 0 = never). */
  readonly maxBytes?: number
  /** Rotated files kept (default 5). */
  readonly maxFiles?: number
}

/**
 * A JSONL file sink. Writes are synchronous: one `write` of a whole line, then `fsync`, so a
 * crash can at worst leave the last line incomplete, never damage an earlier one.
 */
export function jsonlSink(options: JsonlSinkOptions): EventSink {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024
  const maxFiles = Math.max(1, options.maxFiles ?? 5)
  const path = options.path
  let fd: number | null = null
  let size = 0
  const open = (): number => {
    if (fd === null) {
      mkdirSync(dirname(path), { recursive: true })
      fd = openSync(path, "a+", 0o600)
      size = fstatSync(fd).size
      // A line torn by an earlier crash must not swallow the next record: end it first.
      if (size > 0) {
        const last = Buffer.alloc(1)
        readSync(fd, last, 0, 1, size - 1)
        if (last[0] !== 0x0a) {
          writeSync(fd, "\n")
          size++
        }
      }
    }
    return fd
  }
  const rotate = (): void => {
    if (fd !== null) closeSync(fd)
    fd = null
    rmSync(`${path}.${maxFiles}`, { force: true })
    for (let i = maxFiles - 1; i >= 1; i--) {
      if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`)
    }
    renameSync(path, `${path}.1`)
  }
  return {
    name: `jsonl ${path}`,
    write(event: SopsEvent) {
      const line = Buffer.from(JSON.stringify(event) + "\n", "utf8")
      let f = open()
      if (maxBytes > 0 && size > 0 && size + line.length > maxBytes) {
        rotate()
        f = open()
      }
      writeSync(f, line)
      fsyncSync(f)
      size += line.length
    },
    async close() {
      if (fd !== null) closeSync(fd)
      fd = null
    },
  }
}

/** What {@link readEventLog} found. */
export interface EventLogContents {
  readonly events: SopsEvent[]
  /** Lines that were cut short by a crash (never parsed as events). */
  readonly tornLines: number
}

/**
 * Reads a JSONL event log. Lines cut short by a crash (the unterminated tail, or a line the
 * sink closed after restarting) are counted, not returned.
 */
export function readEventLog(path: string): EventLogContents {
  const lines = readFileSync(path, "utf8").split("\n")
  const tail = lines.pop() ?? ""
  let tornLines = tail === "" ? 0 : 1
  const events: SopsEvent[] = []
  for (const l of lines) {
    if (l === "") continue
    try {
      events.push(JSON.parse(l) as SopsEvent)
    } catch {
      tornLines++
    }
  }
  return { events, tornLines }
}
