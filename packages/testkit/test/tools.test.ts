import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { requireTool } from "@sops-ts/testkit"

describe("requireTool", () => {
  const dir = mkdtempSync(join(tmpdir(), "sops-ts-tools-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.skipIf(process.platform === "win32")("finds executables on PATH and explains a miss", () => {
    const exe = join(dir, "age")
    writeFileSync(exe, "#!/bin/sh\n")
    chmodSync(exe, 0o755)
    writeFileSync(join(dir, "gpg"), "not executable")
    expect(requireTool("age", { PATH: dir })).toEqual({ available: true })
    const miss = requireTool("gpg", { PATH: dir })
    expect(miss.available).toBe(false)
    expect(miss.reason).toContain("`gpg` was not found on PATH")
    expect(requireTool("psql", { PATH: "" }).available).toBe(false)
  })
})
