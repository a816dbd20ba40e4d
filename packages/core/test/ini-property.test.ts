/**
 * Property tests for the INI store: random section trees, within what INI can represent,
 * survive emit → load, and emitted files are a fixed point of load → emit.
 */
import { fc, test } from "@fast-check/vitest"
import { describe, expect } from "vitest"
import { createIniStore } from "../src/stores/ini/index.js"
import { Comment, TreeBranch, type TreeItem, type TreeValue } from "../src/tree.js"
import { view } from "./ini-dotenv-helpers.js"

const store = createIniStore()

const chars = (alphabet: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max })

// Key names: go-ini trims them, reads `#`/`;`/`[` at line start as something else, numbers `-`,
// and cannot quote a name holding both a backtick and a quote character.
const keyArb = chars("abcXYZ09_.-=: #;[]é€", 1, 8).filter(
  (k) => k.trim() === k && k !== "-" && !/^[#;[]/.test(k),
)

// Values: anything the writer's quoting brings back intact. Not representable: `"""`; a value
// both padded and holding `"`; a plain value wrapped in matching quotes or ending in `\`.
const valueText = fc.oneof(
  chars("ab \t\n`#;\"'\\é\u00a0\r", 0, 12),
  fc.string({ unit: "grapheme", maxLength: 10 }),
)
function representable(v: string): boolean {
  if (v.includes('"""')) return false
  if (v.includes("\n") || v.includes("`")) return true
  if (v.includes("#") || v.includes(";")) return true
  const padded = /^[\s\u0085\u00a0]|[\s\u0085\u00a0]$/.test(v)
  if (padded) return !v.includes('"')
  if (v.endsWith("\\")) return false
  const wrapped = (q: string): boolean => v.length >= 2 && v.startsWith(q) && v.endsWith(q) && v.indexOf(q, 1) === v.length - 1
  return !wrapped('"') && !wrapped("'")
}
const valueArb: fc.Arbitrary<TreeValue> = fc.oneof(
  { weight: 4, arbitrary: valueText.filter(representable) },
  { weight: 1, arbitrary: fc.constantFrom(Uint8Array.of(0xff, 0x41), Uint8Array.of(0x41, 0xc3)) },
)

// Comments come back trimmed and stripped of leading markers, one line each.
const commentArb = chars("abc XYZ09.,", 1, 10).filter((c) => c.trim() === c)

const sectionBody = (withSectionComment: boolean): fc.Arbitrary<TreeBranch> =>
  fc
    .record({
      head: withSectionComment ? fc.option(commentArb, { nil: undefined }) : fc.constant(undefined),
      keys: fc.uniqueArray(fc.tuple(keyArb, valueArb, fc.option(commentArb, { nil: undefined })), {
        maxLength: 5,
        selector: (t) => t[0],
      }),
    })
    .map(({ head, keys }) => {
      const items: TreeItem[] = []
      if (head !== undefined) items.push({ key: new Comment(head), value: null })
      for (const [key, value, comment] of keys) {
        items.push({ key, value })
        if (comment !== undefined) items.push({ key: new Comment(comment), value: null })
      }
      return new TreeBranch(items)
    })

const sectionName = chars("abcXYZ09 .];#", 1, 8).filter((n) => n !== "sops")

const treeArb: fc.Arbitrary<TreeBranch> = fc
  .tuple(sectionBody(false), fc.array(fc.tuple(sectionName, sectionBody(true)), { maxLength: 4 }))
  .map(([defaults, sections]) => new TreeBranch([{ key: "DEFAULT", value: defaults }, ...sections.map(([key, value]) => ({ key, value }))]))

const strict = new TextDecoder("utf-8", { fatal: true })

/** Tree view in which raw bytes that happen to be UTF-8 equal their string. */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) {
    try {
      return strict.decode(v)
    } catch {
      return Array.from(v)
    }
  }
  if (Array.isArray(v)) return v.map(normalise)
  return v
}

describe("INI properties", () => {
  test.prop([treeArb], { numRuns: 300 })("emit → load gives the same sections, keys, values and comments", (tree) => {
    const back = store.loadPlain(store.emitPlain([tree]))[0]!
    expect(normalise(view(back))).toEqual(normalise(view(tree)))
  })

  test.prop([treeArb], { numRuns: 100 })("emitted files are a fixed point of load → emit", (tree) => {
    const once = store.emitPlain([tree])
    expect(store.emitPlain(store.loadPlain(once))).toEqual(once)
  })

  test.prop([treeArb], { numRuns: 100 })("emitEncrypted → loadEncrypted returns the data and the metadata", (tree) => {
    const meta = new TreeBranch([
      { key: "enc", value: "-----BEGIN-----\nline\n-----END-----" },
      { key: "version", value: "3.13.2" },
    ])
    const loaded = store.loadEncrypted(store.emitEncrypted([tree], meta))
    expect(normalise(view(loaded.branches[0]!))).toEqual(normalise(view(tree)))
    expect(view(loaded.metadata)).toEqual(view(meta))
  })
})
