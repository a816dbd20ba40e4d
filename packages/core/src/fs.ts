/**
 * File helpers: reading with sops-style errors and atomic writes (temp file in the same
 * directory, fsync, rename, mode and ownership kept), so a crash never leaves a half-written
 * secrets file.
 * @module
 */
import { randomBytes } from "node:crypto"
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsync, lstatSync, open, openSync, rename, statSync, write, writeSync, type Stats } from "node:fs"
import { readFile, realpath, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { SopsError } from "./errors.js"

/** Reads a whole file. @throws SopsError `ERR_IO` (with `details.notFound` when missing) */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    const b = await readFile(path)
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    throw new SopsError("ERR_IO", `cannot read ${path}: ${code === "ENOENT" ? "no such file" : String(code ?? cause)}`, {
      cause,
      details: { notFound: code === "ENOENT", path },
    })
  }
}

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Mode for a new file (default 0o644 masked by nothing; existing files keep theirs). */
  readonly mode?: number
}

/**
 * Writes `data` to `path` atomically: a temp file in the same directory, created with the
 * original file's mode (and given its owner, when running as root), is written, fsynced and
 * renamed over the target; the directory is fsynced so the rename survives a crash. On any
 * failure the target is untouched and the temp file removed. A symlink is written through:
 * the file it points to is replaced and the link stays.
 * @throws SopsError `ERR_IO`
 */
export async function writeFileAtomic(target: string, data: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const { path, stats } = await resolveTarget(target)
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${tempSuffix()}.tmp`)
  const mode = stats ? stats.mode & 0o7777 : (options.mode ?? 0o644)
  const owner = stats && process.getuid?.() === 0 ? { uid: stats.uid, gid: stats.gid } : null
  let fd: number | undefined
  try {
    // Created with the final permission bits (the umask may only remove some): the temp file
    // lets no one read it whom the new file will not let read it. Root replacing another
    // user's file creates it private, since it belongs to root until `keepModeAndOwner`.
    const foreign = owner !== null && (owner.uid !== 0 || owner.gid !== process.getgid?.())
    const createMode = foreign ? 0o600 : mode & 0o777
    fd = await fdCall<number>((cb) => open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, createMode, cb))
    await writeAll(fd, data)
    keepModeAndOwner(fd, mode, owner)
    const file = fd
    await fdCall((cb) => fsync(file, cb))
    fd = undefined
    closeSync(file)
    await fdCall((cb) => rename(tmp, path, cb))
  } catch (cause) {
    if (fd !== undefined) {
      try {
        closeSync(fd)
      } catch {
        // Already failing; the temp file is removed below either way.
      }
    }
    await unlink(tmp).catch(() => undefined)
    throw new SopsError("ERR_IO", `cannot write ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      cause,
      details: { path },
    })
  }
  await syncDirectory(dir)
}

/**
 * Gives the temp file `mode` (the umask or the directory may have changed it) and, when
 * running as root, the replaced file's owner. Usually neither differs, so one `fstat` is all
 * it costs.
 *
 * Synchronous on purpose: these calls change an open inode in memory and return in
 * microseconds, while a thread-pool round trip costs a bulk run of thousands of files about
 * ten times that on its busiest thread.
 */
function keepModeAndOwner(fd: number, mode: number, owner: { uid: number; gid: number } | null): void {
  const st = fstatSync(fd)
  // Owner first: chown clears the setuid and setgid bits, which the chmod then restores.
  if (owner !== null && (st.uid !== owner.uid || st.gid !== owner.gid)) {
    try {
      fchownSync(fd, owner.uid, owner.gid)
    } catch {
      // Not permitted (a root-squashed mount): the file keeps the writer's owner, as with sops.
    }
    fchmodSync(fd, mode)
    return
  }
  if ((st.mode & 0o7777) !== mode) fchmodSync(fd, mode)
}

let tempPrefix: string | null = null
let tempCounter = 0

/**
 * A suffix no other writer uses: 48 random bits drawn once per process (or worker thread),
 * then a counter. `O_EXCL` still refuses a name that exists; a CSPRNG call per file cost a
 * bulk run more than the name is worth.
 */
function tempSuffix(): string {
  tempPrefix ??= randomBytes(6).toString("hex")
  return `${tempPrefix}${(tempCounter++).toString(16)}`
}

/**
 * The file a write to `target` replaces, and its metadata when it exists. Writes go through
 * a symlink, as sops does: the file it points to is replaced and the link stays.
 *
 * One `lstat` answers the common case (a regular file, or no file yet); only a symlink costs
 * a `realpath`. The lookup is synchronous on purpose: it is answered from the inode cache in
 * microseconds, while a thread-pool round trip costs about ten times the CPU, which is what
 * limits a run writing thousands of files.
 */
async function resolveTarget(target: string): Promise<{ path: string; stats: Stats | null }> {
  let st: Stats
  try {
    st = lstatSync(target)
  } catch {
    return { path: target, stats: null }
  }
  if (!st.isSymbolicLink()) return { path: target, stats: st }
  const path = await realpath(target).catch(() => target)
  try {
    return { path, stats: statSync(path) }
  } catch {
    // A dangling link: the write creates the file it points to.
    return { path, stats: null }
  }
}

/**
 * Runs one callback-style `node:fs` call as a promise. The descriptor-based callback API is
 * used instead of `fs/promises` file handles on the write path: a `FileHandle` is a tracked
 * object with its own promise plumbing, which costs a run writing thousands of small files
 * about a third more CPU than the descriptor calls themselves.
 */
function fdCall<T = void>(call: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    call((err, value) => (err ? reject(err) : resolve(value as T)))
  })
}

/** Data up to this size is written synchronously (see {@link writeAll}). */
const SYNC_WRITE_LIMIT = 1 << 16

/**
 * Writes all of `data` at the descriptor's position (a write may be partial). Up to 64 KiB,
 * which covers sops files in practice, the write is synchronous: it copies into the page
 * cache in microseconds, less than a thread-pool round trip costs the main thread. Larger
 * data goes through the thread pool so that one big file cannot stall the files in flight.
 */
async function writeAll(fd: number, data: Uint8Array): Promise<void> {
  let done = 0
  if (data.length <= SYNC_WRITE_LIMIT) {
    while (done < data.length) done += writeSync(fd, data, done, data.length - done)
    return
  }
  while (done < data.length) {
    done += await fdCall<number>((cb) => write(fd, data, done, data.length - done, null, cb))
  }
}

/**
 * fsyncs a directory. Only the fsync goes through the thread pool: opening a directory
 * read-only and closing it touch no disk, as with the descriptor calls in `keepModeAndOwner`.
 */
async function fsyncDirectory(dir: string): Promise<void> {
  try {
    const d = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)
    try {
      await fdCall((cb) => fsync(d, cb))
    } finally {
      closeSync(d)
    }
  } catch {
    // Some filesystems cannot fsync a directory; the rename itself already happened.
  }
}

/** Callers waiting for a directory fsync, per directory, and whether one is running. */
const directorySyncs = new Map<string, { waiting: (() => void)[] }>()

/**
 * Resolves after an fsync of `dir` that started after this call, so a rename done before the
 * call is durable. Calls that arrive while a sync of the same directory is running share the
 * next one (group commit): a bulk run writing many files to one directory pays a few
 * directory fsyncs instead of one per file, with the same guarantee for each file.
 */
function syncDirectory(dir: string): Promise<void> {
  return new Promise<void>((resolve) => {
    let state = directorySyncs.get(dir)
    if (state !== undefined) {
      state.waiting.push(resolve)
      return
    }
    state = { waiting: [resolve] }
    directorySyncs.set(dir, state)
    const s = state
    void (async () => {
      while (s.waiting.length > 0) {
        const batch = s.waiting.splice(0)
        await fsyncDirectory(dir)
        for (const r of batch) r()
      }
      directorySyncs.delete(dir)
    })()
  })
}
