/**
 * The resume journal: an append-only JSONL file, fsynced after every line, recording for
 * each file the SHA-256 of its content before and after. A rerun with the same journal and
 * the same operation skips a file whose current content hash is one this run (or an earlier
 * one) produced, and redoes every other file.
 *
 * For operations that are not idempotent (a new data key), an intent line with the expected
 * "after" hash is written before the rename: if the process dies between the rename and the
 * completion line, the rerun still recognises the new file as done instead of rotating again.
 * @module
 */
import { createHash } from "node:crypto"
import { mkdir, open, readFile, type FileHandle } from "node:fs/promises"
import { dirname } from "node:path"
import { SopsError } from "@sops-ts/core"

/** SHA-256 of bytes, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex")
}

/** One journal line. */
export interface JournalEntry {
  readonly v: 1
  /** Fingerprint of the operation and its parameters; entries of other runs are ignored. */
  readonly run: string
  readonly file: string
  /** `intent`: about to replace the file; `done`: replaced; `unchanged`: nothing to do; `failed`. */
  readonly state: "intent" | "done" | "unchanged" | "failed"
  readonly before: string
  readonly after?: string
  readonly time: string
}

/**
 * What a file's processing needs from the journal: the in-process {@link Journal}, or a
 * worker thread's proxy that forwards lines to the run's one journal.
 */
export interface JournalSink {
  /** Whether `file` with content hash `hash` was finished by an earlier run of the same job. */
  isDone(file: string, hash: string): boolean
  /** Appends one line; resolves once it is on disk. */
  record(entry: Omit<JournalEntry, "v" | "run" | "time">): Promise<void>
}

/** An open journal. */
export class Journal implements JournalSink {
  private readonly pending: { line: string; resolve: () => void; reject: (e: unknown) => void }[] = []
  private flushing: Promise<void> | null = null

  private constructor(
    private readonly handle: FileHandle,
    private readonly run: string,
    /** file → content hashes that mean "already done". */
    private readonly finished: Map<string, Set<string>>,
  ) {}

  /**
   * Opens (creating if needed) the journal at `path` for run fingerprint `run`.
   * @throws SopsError `ERR_IO`
   */
  static async open(path: string, run: string): Promise<Journal> {
    const finished = new Map<string, Set<string>>()
    let text = ""
    try {
      text = await readFile(path, "utf8")
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new SopsError("ERR_IO", `cannot read the journal ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err })
      }
    }
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue
      let e: Partial<JournalEntry>
      try {
        e = JSON.parse(line) as Partial<JournalEntry>
      } catch {
        // A line cut short by a crash: the file it names is simply redone.
        continue
      }
      if (e.v !== 1 || e.run !== run || typeof e.file !== "string") continue
      if ((e.state === "done" || e.state === "intent" || e.state === "unchanged") && typeof e.after === "string") {
        let set = finished.get(e.file)
        if (!set) finished.set(e.file, (set = new Set()))
        set.add(e.after)
      }
    }
    try {
      await mkdir(dirname(path), { recursive: true })
      const handle = await open(path, "a", 0o600)
      return new Journal(handle, run, finished)
    } catch (err) {
      throw new SopsError("ERR_IO", `cannot open the journal ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err })
    }
  }

  /** Whether `file` with content hash `hash` was finished by a run with the same fingerprint. */
  isDone(file: string, hash: string): boolean {
    return this.finished.get(file)?.has(hash) === true
  }

  /**
   * Appends one line and resolves once it is on disk. Lines recorded while a sync is running
   * are written and synced together (group commit), so many files in flight share one fsync.
   * @throws SopsError `ERR_IO`
   */
  record(entry: Omit<JournalEntry, "v" | "run" | "time">): Promise<void> {
    const line = JSON.stringify({ v: 1, run: this.run, ...entry, time: new Date().toISOString() }) + "\n"
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, resolve, reject })
      this.flushing ??= this.flush()
    })
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0)
      try {
        await this.handle.write(batch.map((b) => b.line).join(""))
        await this.handle.datasync()
        for (const b of batch) b.resolve()
      } catch (err) {
        const e = new SopsError("ERR_IO", `cannot write the journal: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err })
        for (const b of batch) b.reject(e)
      }
    }
    this.flushing = null
  }

  /** The content hashes that mean `file` is done (empty when none), for a worker's proxy. */
  doneHashes(file: string): string[] {
    return [...(this.finished.get(file) ?? [])]
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flushing
    await this.handle.close()
  }
}
