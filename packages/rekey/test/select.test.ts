import { execFileSync } from "node:child_process"
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { compileGlob, isIgnored, parseGitignore, selectFiles } from "@sops-ts/rekey"
import { tempDir } from "./helpers.js"

describe("compileGlob", () => {
  it.each([
    ["*.yaml", "a.yaml", true],
    ["*.yaml", "d/a.yaml", false],
    ["**/*.yaml", "a.yaml", true],
    ["**/*.yaml", "d/e/a.yaml", true],
    ["d/**", "d/e/a.yaml", true],
    ["d/**/x", "d/x", true],
    ["d/**/x", "dx", false],
    ["s?.env", "s1.env", true],
    ["s?.env", "s/.env", false],
    ["[ab].json", "b.json", true],
    ["[!ab].json", "b.json", false],
    ["*.{yaml,json}", "x.json", true],
    ["*.{yaml,json}", "x.ini", false],
    ["a.b", "aXb", false],
  ])("%s vs %s → %s", (glob, path, want) => {
    expect(compileGlob(glob)(path)).toBe(want)
  })

  it("rejects an unclosed class with a SopsError", () => {
    expect(() => compileGlob("[abc")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARGUMENT" }))
  })
})

describe("gitignore", () => {
  const stack = [parseGitignore("# comment\n*.log\n/build\nsecrets/tmp/\n!keep.log\n\\#hash\n", "/r")]
  it.each([
    ["/r/a.log", false, true],
    ["/r/d/a.log", false, true],
    ["/r/keep.log", false, false],
    ["/r/build", true, true],
    ["/r/d/build", true, false],
    ["/r/secrets/tmp", true, true],
    ["/r/secrets/tmp", false, false],
    ["/r/#hash", false, true],
    ["/r/a.yaml", false, false],
  ])("%s (dir=%s) ignored → %s", (path, isDir, want) => {
    expect(isIgnored(stack, path, isDir)).toBe(want)
  })
})

describe("selectFiles", () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => {
    ;({ dir, cleanup } = tempDir())
    mkdirSync(join(dir, "a/b"), { recursive: true })
    mkdirSync(join(dir, "ignored"), { recursive: true })
    writeFileSync(join(dir, ".gitignore"), "ignored/\n*.tmp\n")
    for (const f of ["a/x.yaml", "a/b/y.json", "a/b/z.tmp", "ignored/w.yaml", "top.env"]) writeFileSync(join(dir, f), "x")
  })
  afterEach(() => cleanup())
  const rel = (files: string[]): string[] => files.map((f) => relative(dir, f)).sort()

  it("walks directories honouring .gitignore (no git)", async () => {
    const s = await selectFiles(["."], { cwd: dir, useGit: false })
    expect(rel(s.files)).toEqual([".gitignore", "a/b/y.json", "a/x.yaml", "top.env"])
  })

  it("matches globs and keeps explicitly named ignored files", async () => {
    const s = await selectFiles(["**/*.yaml", "ignored/w.yaml", "nope/*.yaml", "missing.yaml"], { cwd: dir, useGit: false })
    expect(rel(s.files)).toEqual(["a/x.yaml", "ignored/w.yaml"])
    expect(s.unmatched).toEqual(["nope/*.yaml", "missing.yaml"])
  })

  it("resolves symbolic links and lists each real file once", async () => {
    symlinkSync(join(dir, "a/x.yaml"), join(dir, "link.yaml"))
    const s = await selectFiles(["link.yaml", "a"], { cwd: dir, useGit: false })
    expect(rel(s.files)).toEqual(["a/b/y.json", "a/x.yaml"])
  })

  it("lists and matches through a symbolically linked directory, returning real paths", async () => {
    const { dir: outside, cleanup: cleanOutside } = tempDir()
    try {
      symlinkSync(dir, join(outside, "repo"))
      const viaDir = await selectFiles(["repo"], { cwd: outside, useGit: false })
      expect(rel(viaDir.files)).toEqual([".gitignore", "a/b/y.json", "a/x.yaml", "top.env"])
      // The glob is written against the linked path; the files come back as real paths.
      const viaGlob = await selectFiles(["repo/**/*.yaml", "repo/a/b/*.json"], { cwd: outside, useGit: false })
      expect(rel(viaGlob.files)).toEqual(["a/b/y.json", "a/x.yaml"])
      expect(viaGlob.unmatched).toEqual([])
    } finally {
      cleanOutside()
    }
  })

  let hasGit = true
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" })
  } catch {
    hasGit = false
  }
  it.skipIf(!hasGit)("uses git ls-files inside a work tree", async () => {
    execFileSync("git", ["init", "-q"], { cwd: dir })
    writeFileSync(join(dir, "a/.gitignore"), "x.yaml\n")
    const s = await selectFiles([dir], { cwd: dir })
    expect(rel(s.files)).toEqual([".gitignore", "a/.gitignore", "a/b/y.json", "top.env"])
  })
})
