import { describe, expect, it } from "vitest"
import { SopsError } from "../src/errors.js"
import { compileGoRegex, tryCompileGoRegex } from "../src/regex.js"

describe("compileGoRegex", () => {
  it("searches unanchored, like Go MatchString", () => {
    const re = compileGoRegex("secret")
    expect(re.test("my_secret_value")).toBe(true)
    expect(re.test("public")).toBe(false)
    expect(compileGoRegex("^secret$").test("my_secret")).toBe(false)
    expect(compileGoRegex("").test("anything")).toBe(true)
  })

  it("accepts RE2-only syntax that JS RegExp rejects or reads differently", () => {
    // Inline flags: a SyntaxError in JS.
    expect(compileGoRegex("(?i)^SECRET").test("secret_key")).toBe(true)
    // \z is end of text; JS has no \z (in non-unicode mode it is a literal "z").
    expect(compileGoRegex("a\\z").test("a")).toBe(true)
    expect(compileGoRegex("a\\z").test("az")).toBe(false)
    expect(compileGoRegex("a\\z").test("a\n")).toBe(false)
    // Unicode classes without the u flag, and the one-letter form.
    expect(compileGoRegex("\\p{Greek}").test("λ")).toBe(true)
    expect(compileGoRegex("\\pN").test("x1")).toBe(true)
    // POSIX classes and \Q...\E quoting.
    expect(compileGoRegex("^[[:alpha:]]+$").test("abc")).toBe(true)
    expect(compileGoRegex("\\Qa.b\\E").test("axb")).toBe(false)
    expect(compileGoRegex("\\Qa.b\\E").test("a.b")).toBe(true)
  })

  it("uses Go's definitions where JS differs: $ is end of text, \\d and \\w are ASCII", () => {
    expect(compileGoRegex("a$").test("a\n")).toBe(false)
    expect(compileGoRegex("\\d").test("٣")).toBe(false)
    expect(compileGoRegex("\\w").test("é")).toBe(false)
    expect(compileGoRegex(".").test("\n")).toBe(false)
    expect(compileGoRegex("(?s).").test("\n")).toBe(true)
  })

  it("searches raw bytes as UTF-8", () => {
    expect(compileGoRegex("é").test(new TextEncoder().encode("café"))).toBe(true)
    expect(compileGoRegex("^x").test(Uint8Array.of(0x79, 0x78))).toBe(false)
  })

  it.each([
    ["(?=a)", "lookahead"],
    ["(?<!a)b", "lookbehind"],
    ["(a)\\1", "backreference"],
    ["[", "unclosed class"],
    ["a{1001}", "repeat count above 1000"],
    ["\\C", "\\C"],
  ])("rejects %s (%s) with ERR_REGEX_INVALID", (pattern) => {
    let caught: unknown
    try {
      compileGoRegex(pattern)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(SopsError)
    expect((caught as SopsError).code).toBe("ERR_REGEX_INVALID")
    expect((caught as SopsError).message).toContain(JSON.stringify(pattern))
  })

  it("throws a fresh error each time for a cached invalid pattern", () => {
    const errs = [0, 1].map(() => {
      try {
        compileGoRegex("(")
      } catch (err) {
        return err
      }
      return null
    })
    expect(errs[0]).toBeInstanceOf(SopsError)
    expect(errs[0]).not.toBe(errs[1])
  })

  it("caches compiled patterns", () => {
    expect(compileGoRegex("cache-me")).toBe(compileGoRegex("cache-me"))
  })
})

describe("tryCompileGoRegex", () => {
  it("returns null for an invalid pattern (sops: invalid regex never matches)", () => {
    expect(tryCompileGoRegex("(?=x)")).toBeNull()
    expect(tryCompileGoRegex("^ok$")?.test("ok")).toBe(true)
  })
})

describe("regex at scale", () => {
  it("runs 10,000 searches with the expected hits", () => {
    const re = compileGoRegex("(?i)(password|secret|_key)$")
    const keys = Array.from({ length: 10_000 }, (_, i) => (i % 10 === 0 ? `db_password` : `value_${i}`))
    // Warm up the engine's DFA cache once, as a real file walk would after the first values.
    re.test("warmup")
    let hits = 0
    for (const k of keys) if (re.test(k)) hits++
    expect(hits).toBe(1000)
  })
})
