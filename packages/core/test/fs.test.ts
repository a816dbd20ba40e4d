import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it, vi } from "vitest"

// Lets a test make the final rename fail, as a full disk or a crash at that moment would.
const failRename = { on: false }
const modesWhileWriting: number[] = []
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>()
  return {
    ...real,
    // Records the temp file's mode while its data is written (before the owner is set).
    writeSync: (fd: number, ...rest: [Uint8Array, number, number]) => {
      modesWhileWriting.push(real.fstatSync(fd).mode & 0o7777)
      return real.writeSync(fd, ...rest)
    },
    rename: (from: string, to: string, cb: (err: NodeJS.ErrnoException | null) => void) => {
      if (failRename.on) return process.nextTick(cb, Object.assign(new Error("simulated"), { code: "EIO" }))
      return real.rename(from, to, cb)
    },
  }
})

const { writeFileAtomic } = await import("../src/fs.js")

afterEach(() => {
  failRename.on = false
})

describe("writeFileAtomic", () => {
  it("replaces the file and keeps its mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const f = join(dir, "secrets.enc.yaml")
    await writeFile(f, "old\n")
    await chmod(f, 0o640)
    await writeFileAtomic(f, new TextEncoder().encode("new\n"))
    expect(await readFile(f, "utf8")).toBe("new\n")
    expect((await stat(f)).mode & 0o777).toBe(0o640)
    expect(await readdir(dir)).toEqual(["secrets.enc.yaml"])
  })

  it("leaves the original untouched and no temp file behind when the write fails", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const f = join(dir, "secrets.enc.yaml")
    await writeFile(f, "original\n")
    failRename.on = true
    await expect(writeFileAtomic(f, new TextEncoder().encode("half-written"))).rejects.toMatchObject({ code: "ERR_IO" })
    expect(await readFile(f, "utf8")).toBe("original\n")
    expect(await readdir(dir)).toEqual(["secrets.enc.yaml"])
  })

  it("writes through a symlink, keeping the link", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const real = join(dir, "real.enc.yaml")
    const link = join(dir, "link.enc.yaml")
    await writeFile(real, "old\n")
    await symlink(real, link)
    await writeFileAtomic(link, new TextEncoder().encode("new\n"))
    expect((await lstat(link)).isSymbolicLink()).toBe(true)
    expect(await readFile(real, "utf8")).toBe("new\n")
  })

  it("keeps the mode of the file a symlink points to, and writes through a chain of links", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const real = join(dir, "real.enc.yaml")
    await writeFile(real, "old\n")
    await chmod(real, 0o600)
    await symlink(real, join(dir, "a.enc.yaml"))
    await symlink(join(dir, "a.enc.yaml"), join(dir, "b.enc.yaml"))
    await writeFileAtomic(join(dir, "b.enc.yaml"), new TextEncoder().encode("new\n"))
    expect(await readFile(real, "utf8")).toBe("new\n")
    expect((await stat(real)).mode & 0o777).toBe(0o600)
    expect((await lstat(join(dir, "a.enc.yaml"))).isSymbolicLink()).toBe(true)
    expect((await lstat(join(dir, "b.enc.yaml"))).isSymbolicLink()).toBe(true)
    expect((await readdir(dir)).sort()).toEqual(["a.enc.yaml", "b.enc.yaml", "real.enc.yaml"])
  })

  it("writes a file inside a symlinked directory in place", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    await mkdir(join(dir, "real-dir"))
    await symlink(join(dir, "real-dir"), join(dir, "linked-dir"))
    await writeFile(join(dir, "real-dir", "s.enc.yaml"), "old\n")
    await chmod(join(dir, "real-dir", "s.enc.yaml"), 0o640)
    await writeFileAtomic(join(dir, "linked-dir", "s.enc.yaml"), new TextEncoder().encode("new\n"))
    expect(await readFile(join(dir, "real-dir", "s.enc.yaml"), "utf8")).toBe("new\n")
    expect((await stat(join(dir, "real-dir", "s.enc.yaml"))).mode & 0o777).toBe(0o640)
    expect(await readdir(join(dir, "real-dir"))).toEqual(["s.enc.yaml"])
  })

  it("writes a multi-megabyte file completely (writes may be partial), keeping the mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const f = join(dir, "big.enc.bin")
    await writeFile(f, "old\n")
    await chmod(f, 0o600)
    const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) & 0xff)
    await writeFileAtomic(f, data)
    expect(Buffer.compare(await readFile(f), Buffer.from(data))).toBe(0)
    expect((await stat(f)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(["big.enc.bin"])
  })

  it("creates a new file with the requested mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const f = join(dir, "new.enc.json")
    await writeFileAtomic(f, new TextEncoder().encode("{}\n"), { mode: 0o600 })
    expect((await stat(f)).mode & 0o777).toBe(0o600)
  })

  it("keeps permission bits the umask would remove, and the setgid bit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const f = join(dir, "shared.enc.yaml")
    await writeFile(f, "old\n")
    await chmod(f, 0o2664)
    const before = process.umask(0o077)
    try {
      await writeFileAtomic(f, new TextEncoder().encode("new\n"))
    } finally {
      process.umask(before)
    }
    expect((await stat(f)).mode & 0o7777).toBe(0o2664)
    expect(await readFile(f, "utf8")).toBe("new\n")
  })

  it("gives a new file the requested mode under a restrictive umask", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const f = join(dir, "new.enc.yaml")
    const before = process.umask(0o077)
    try {
      await writeFileAtomic(f, new TextEncoder().encode("a: 1\n"), { mode: 0o644 })
    } finally {
      process.umask(before)
    }
    expect((await stat(f)).mode & 0o777).toBe(0o644)
  })

  // Only root can give a file to another user; elsewhere the owner is the writer's anyway.
  it.runIf(process.getuid?.() === 0)("keeps the owner and group of the replaced file when running as root", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sops-ts-fs-"))
    const f = join(dir, "owned.enc.yaml")
    await writeFile(f, "old\n")
    await chown(f, 4242, 4343)
    await chmod(f, 0o6640)
    modesWhileWriting.length = 0
    await writeFileAtomic(f, new TextEncoder().encode("new\n"))
    // Until it is given the owner, the temp file belongs to root: nobody else may read it.
    expect(modesWhileWriting).toEqual([0o600])
    const st = await stat(f)
    expect([st.uid, st.gid]).toEqual([4242, 4343])
    // chown clears setuid/setgid; the mode is restored after it.
    expect(st.mode & 0o7777).toBe(0o6640)
  })
})
