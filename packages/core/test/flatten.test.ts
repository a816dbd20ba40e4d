import { fc, test } from "@fast-check/vitest"
import { describe, expect, it } from "vitest"
import { compareGoStrings, flattenMetadata, unflattenMetadata } from "../src/metadata/flatten.js"
import { Comment, TreeBranch, type TreeValue } from "../src/tree.js"
import { branch, expectSopsError, view } from "./ini-dotenv-helpers.js"

const metadata = (): TreeBranch =>
  branch(
    ["kms", [branch(["arn", "arn:1"], ["context", branch(["tenant", "t"], ["app", "a"])])]],
    ["lastmodified", "2026-05-22T20:15:29Z"],
    ["pgp", [branch(["created_at", "c"], ["enc", "line1\nline2"], ["fp", "FBC7"])]],
    ["shamir_threshold", 2n],
    ["mac_only_encrypted", true],
    ["age", []],
    ["empty", new TreeBranch()],
  )

describe("flattenMetadata", () => {
  it("names leaves depth-first with __map_ and __list_ and skips empty containers", () => {
    const flat = flattenMetadata(metadata(), { prefix: "sops_" })
    expect(flat.map((i) => [i.key, i.value])).toEqual([
      ["sops_kms__list_0__map_arn", "arn:1"],
      ["sops_kms__list_0__map_context__map_tenant", "t"],
      ["sops_kms__list_0__map_context__map_app", "a"],
      ["sops_lastmodified", "2026-05-22T20:15:29Z"],
      ["sops_pgp__list_0__map_created_at", "c"],
      ["sops_pgp__list_0__map_enc", "line1\nline2"],
      ["sops_pgp__list_0__map_fp", "FBC7"],
      ["sops_shamir_threshold", 2n],
      ["sops_mac_only_encrypted", true],
    ])
  })

  it("escapes newlines in string values only when asked (INI)", () => {
    const flat = flattenMetadata(metadata(), { escapeNewlines: true })
    expect(flat.find((i) => i.key === "pgp__list_0__map_enc")?.value).toBe("line1\\nline2")
    expect(flat.find((i) => i.key === "shamir_threshold")?.value).toBe(2n)
  })

  it("numbers list elements without counting comments, and skips comment keys", () => {
    const tree = new TreeBranch([
      { key: new Comment("x"), value: null },
      { key: "l", value: [new Comment("c"), "a", new Comment("d"), "b"] },
    ])
    expect(flattenMetadata(tree).map((i) => [i.key, i.value])).toEqual([
      ["l__list_0", "a"],
      ["l__list_1", "b"],
    ])
  })

  it("rejects two paths that flatten to the same name", () => {
    const tree = branch(["a__map_b", "1"], ["a", branch(["b", "2"])])
    const err = expectSopsError(() => flattenMetadata(tree), "ERR_METADATA_INVALID")
    expect(err.message).toContain("a__map_b")
  })
})

describe("unflattenMetadata", () => {
  it("rebuilds maps with sorted keys and lists in index order", () => {
    const tree = unflattenMetadata([
      ["version", "3.13.2"],
      ["pgp__list_1__map_fp", "B"],
      ["pgp__list_0__map_fp", "A"],
      ["pgp__list_0__map_created_at", "c"],
      ["lastmodified", "t"],
      ["kms__list_0__map_context__map_z", "1"],
      ["kms__list_0__map_context__map_a", "2"],
    ])
    expect(view(tree)).toEqual([
      ["kms", [[["context", [["a", "2"], ["z", "1"]]]]]],
      ["lastmodified", "t"],
      [
        "pgp",
        [
          [
            ["created_at", "c"],
            ["fp", "A"],
          ],
          [["fp", "B"]],
        ],
      ],
      ["version", "3.13.2"],
    ])
  })

  it("inverts flattenMetadata on sorted metadata", () => {
    const sorted = branch(
      ["lastmodified", "t"],
      ["pgp", [branch(["enc", "a\nb"], ["fp", "F"])]],
      ["version", "3.13.2"],
    )
    const flat = flattenMetadata(sorted, { escapeNewlines: true })
    const back = unflattenMetadata(
      flat.map((i) => [i.key as string, i.value] as const),
      { escapeNewlines: true },
    )
    expect(view(back)).toEqual(view(sorted))
  })

  it("reads both the escaped and the real-newline form when unescaping", () => {
    const t = unflattenMetadata(
      [
        ["a", "x\\ny"],
        ["b", "x\ny"],
      ],
      { escapeNewlines: true },
    )
    expect(view(t)).toEqual([
      ["a", "x\ny"],
      ["b", "x\ny"],
    ])
    // Without the option the two characters stay as they are (dotenv already unescaped them).
    expect(view(unflattenMetadata([["a", "x\\ny"]]))).toEqual([["a", "x\\ny"]])
  })

  it("returns an empty branch for no entries and keeps non-string values", () => {
    expect(unflattenMetadata([]).items).toEqual([])
    expect(view(unflattenMetadata([["n", 2n]]))).toEqual([["n", 2n]])
  })

  it("rejects lists with gaps or not starting at 0 (Incomplete list)", () => {
    const gap = expectSopsError(() => unflattenMetadata([["l__list_0", "a"], ["l__list_2", "c"]]), "ERR_METADATA_INVALID")
    expect(gap.message).toMatch(/incomplete list/)
    expectSopsError(() => unflattenMetadata([["l__list_1", "a"]]), "ERR_METADATA_INVALID")
    expectSopsError(() => unflattenMetadata([["l__list_-1", "a"], ["l__list_0", "b"]]), "ERR_METADATA_INVALID")
  })

  it("rejects a name that is both a value and a container (Type mismatch)", () => {
    const err = expectSopsError(() => unflattenMetadata([["a", "1"], ["a__map_b", "2"]]), "ERR_METADATA_INVALID")
    expect(err.message).toMatch(/type mismatch/)
    expectSopsError(() => unflattenMetadata([["a__list_0", "1"], ["a__map_b", "2"]]), "ERR_METADATA_INVALID")
  })

  it("rejects the same name twice", () => {
    expectSopsError(() => unflattenMetadata([["a", "1"], ["a", "2"]]), "ERR_METADATA_INVALID")
  })

  it("reads a malformed list index as 0, as sops' ignored Atoi error does", () => {
    expect(view(unflattenMetadata([["l__list_x", "a"]]))).toEqual([["l", ["a"]]])
  })

  it("refuses absurdly deep names instead of recursing without bound", () => {
    const deep = "a" + "__map_b".repeat(5000)
    expectSopsError(() => unflattenMetadata([[deep, "x"]]), "ERR_METADATA_INVALID")
  })

  it("handles 10,000 entries", () => {
    const entries: [string, TreeValue][] = []
    for (let i = 0; i < 10_000; i++) entries.push([`k__list_${i}__map_v`, String(i)])
    const t = unflattenMetadata(entries)
    const flat = flattenMetadata(t)
    expect(flat).toHaveLength(10_000)
  })
})

describe("compareGoStrings", () => {
  it("orders by UTF-8 bytes (astral characters after U+FFFF-range BMP characters)", () => {
    expect(["b", "a", "\u{1F600}", "\uFFFD", "B"].sort(compareGoStrings)).toEqual(["B", "a", "b", "\uFFFD", "\u{1F600}"])
    expect(compareGoStrings("ab", "a")).toBeGreaterThan(0)
    expect(compareGoStrings("a", "a")).toBe(0)
  })
})

// Metadata-shaped trees: maps of maps/lists of non-empty maps with safe key names.
const keyArb = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/)
// A literal backslash-n cannot survive the INI escaping (sops loses it too), so leaves avoid it.
const leafArb = fc.oneof(
  fc.string({ maxLength: 8 }).filter((s) => !s.includes("\\n")),
  fc.constant("multi\nline"),
)
const metaArb: fc.Arbitrary<TreeBranch> = fc.letrec<{ map: TreeBranch; value: TreeValue }>((tie) => ({
  map: fc
    .uniqueArray(fc.tuple(keyArb, tie("value")), { minLength: 1, maxLength: 4, selector: (t) => t[0] })
    .map((pairs) => new TreeBranch(pairs.sort((a, b) => compareGoStrings(a[0], b[0])).map(([key, value]) => ({ key, value })))),
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    tie("map"),
    fc.array(tie("map"), { minLength: 1, maxLength: 3 }),
  ),
})).map

describe("flatten/unflatten property", () => {
  test.prop([metaArb], { numRuns: 200 })("unflatten(flatten(m)) == m for sorted metadata trees", (m) => {
    const flat = flattenMetadata(m, { escapeNewlines: true })
    const back = unflattenMetadata(
      flat.map((i) => [i.key as string, i.value] as const),
      { escapeNewlines: true },
    )
    expect(view(back)).toEqual(view(m))
  })
})
