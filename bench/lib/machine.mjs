// What the figures were measured on.
import { execFileSync } from "node:child_process"
import { cpus, platform, release, totalmem } from "node:os"

/** CPU, core count, memory, OS, Node version and the commit measured. */
export async function machineInfo(repoRoot) {
  let commit = "unknown"
  try {
    commit = execFileSync("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim()
    const dirty = execFileSync("git", ["-C", repoRoot, "status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" })
    if (dirty.trim() !== "") commit += " (with uncommitted changes)"
  } catch {
    // Not a git checkout (e.g. an npm tarball): the commit is simply unknown.
  }
  const list = cpus()
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    commit,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  }
}
