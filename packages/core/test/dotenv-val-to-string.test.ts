import { describe, expect, it } from "vitest"
import { goFormatV, valToString } from "../src/stores/val-to-string.js"
import { Comment, NonStringKey, Timestamp, TreeBranch } from "../src/tree.js"
import { bin, branch } from "./ini-dotenv-helpers.js"

describe("valToString (sops stores.ValToString)", () => {
  it("prints floats with 'G' and a .0 fallback", () => {
    expect(valToString(1.23)).toBe("1.23")
    expect(valToString(100)).toBe("100.0")
    expect(valToString(0)).toBe("0.0")
    expect(valToString(-0)).toBe("-0.0")
    expect(valToString(1e21)).toBe("1E+21")
    expect(valToString(1e6)).toBe("1E+06")
    expect(valToString(123456)).toBe("123456.0")
    expect(valToString(0.00001)).toBe("1E-05")
    expect(valToString(Infinity)).toBe("+Inf")
    expect(valToString(-Infinity)).toBe("-Inf")
    expect(valToString(NaN)).toBe("NaN")
  })

  it("prints bools, integers, null and timestamps like Go", () => {
    expect(valToString(true)).toBe("true")
    expect(valToString(false)).toBe("false")
    expect(valToString(-9223372036854775808n)).toBe("-9223372036854775808")
    expect(valToString(null)).toBe("<nil>")
    // RFC 3339 without the fraction (test_ini_values_as_strings pins 2025-01-02T00:00:00Z).
    expect(valToString(new Timestamp(Date.UTC(2025, 0, 2) / 1000, 500_000_000))).toBe("2025-01-02T00:00:00Z")
    expect(valToString(new Timestamp(Date.UTC(2025, 0, 2) / 1000, 0, 90))).toBe("2025-01-02T01:30:00+01:30")
  })

  it("returns strings and raw bytes unchanged", () => {
    expect(valToString("a\nb")).toBe("a\nb")
    const raw = bin("\xff\xfe")
    expect(valToString(raw)).toBe(raw)
  })

  it("renders nested values with Go's %v (the INI store's lossy path)", () => {
    expect(valToString([branch(["k", "v"], ["n", 1n])])).toBe("[[{k v} {n 1}]]")
    expect(valToString(branch(["a", ["x", 1.5, true, null]]))).toBe("[{a [x 1.5 true <nil>]}]")
    expect(valToString(new TreeBranch([{ key: new Comment(" c"), value: null }]))).toBe("[{{ c} <nil>}]")
    expect(valToString(new TreeBranch([{ key: new NonStringKey(1n), value: 1e6 }]))).toBe("[{1 1e+06}]")
    expect(goFormatV([new Timestamp(0)])).toBe("[1970-01-01 00:00:00 +0000 UTC]")
    expect(goFormatV([new Timestamp(0, 5_000_000, -300)])).toBe("[1969-12-31 19:00:00.005 -0500 -0500]")
  })

  it("keeps raw bytes inside nested values as bytes", () => {
    const out = goFormatV([bin("\xff")])
    expect(out).toEqual(bin("[\xff]"))
  })
})
