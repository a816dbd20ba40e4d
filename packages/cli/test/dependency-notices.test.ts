import { describe, expect, it } from "vitest"
import { quietDependencyNotices } from "../src/dependency-notices.js"

function fakeProcess(): { proc: NodeJS.Process; seen: unknown[][] } {
  const seen: unknown[][] = []
  const proc = { emitWarning: (...args: unknown[]) => void seen.push(args) } as unknown as NodeJS.Process
  return { proc, seen }
}

describe("quietDependencyNotices", () => {
  it("drops the AWS SDK's Node version notice and passes every other warning through unchanged", () => {
    const { proc, seen } = fakeProcess()
    quietDependencyNotices(proc)
    proc.emitWarning("NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after ...")
    proc.emitWarning("something else: keep me", "DeprecationWarning", "DEP0999")
    const err = new Error("ExperimentalWarning: also kept")
    proc.emitWarning(err)
    expect(seen).toEqual([["something else: keep me", "DeprecationWarning", "DEP0999"], [err]])
  })

  it("installs once", () => {
    const { proc, seen } = fakeProcess()
    quietDependencyNotices(proc)
    const first = proc.emitWarning
    quietDependencyNotices(proc)
    expect(proc.emitWarning).toBe(first)
    proc.emitWarning("x: y")
    expect(seen).toHaveLength(1)
  })
})
