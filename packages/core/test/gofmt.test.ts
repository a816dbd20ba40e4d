import { describe, expect, it } from "vitest"
import { formatFloatF, formatFloatG, formatFloatValToString, formatJsonFloat, formatYamlFloat } from "../src/gofmt.js"

describe("Go float printers", () => {
  it.each([
    [1234567, "1234567", "1.234567e+06", "1234567", "1.234567E+06"],
    [100000, "100000", "100000", "100000", "100000.0"],
    [0.00001, "0.00001", "1e-05", "0.00001", "1E-05"],
    [1e21, "1000000000000000000000", "1e+21", "1e+21", "1E+21"],
    [1e-7, "0.0000001", "1e-07", "1e-7", "1E-07"],
    [1.5, "1.5", "1.5", "1.5", "1.5"],
    [100, "100", "100", "100", "100.0"],
    [0.0001, "0.0001", "0.0001", "0.0001", "0.0001"],
    [1234568000, "1234568000", "1.234568e+09", "1234568000", "1.234568E+09"],
    [-2.5e-9, "-0.0000000025", "-2.5e-09", "-2.5e-9", "-2.5E-09"],
  ])("%d prints as Go does in every layout", (x, f, g, json, valToString) => {
    expect(formatFloatF(x)).toBe(f)
    expect(formatFloatG(x)).toBe(g)
    expect(formatJsonFloat(x)).toBe(json)
    expect(formatFloatValToString(x)).toBe(valToString)
  })

  it("handles negative zero, infinities and NaN per printer", () => {
    expect(formatFloatF(-0)).toBe("-0")
    expect(formatJsonFloat(-0)).toBe("-0")
    expect(formatFloatF(Infinity)).toBe("+Inf")
    expect(formatYamlFloat(Infinity)).toBe(".inf")
    expect(formatYamlFloat(-Infinity)).toBe("-.inf")
    expect(formatYamlFloat(NaN)).toBe(".nan")
    expect(formatJsonFloat(NaN)).toBeNull()
    expect(formatFloatValToString(Infinity)).toBe("+Inf")
  })
})
