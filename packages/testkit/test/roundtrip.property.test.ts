/**
 * Property tests: random documents in every format round-trip through encrypt and decrypt,
 * with random selection options and random key groups (Shamir included), and the MAC verifies.
 */
import { beforeAll, describe, expect } from "vitest"
import { fc, test } from "@fast-check/vitest"
import {
  Comment,
  decrypt,
  encrypt,
  storeFor,
  TreeBranch,
  type AgeMasterKey,
  type EncryptionOptions,
  type Format,
  type KeyGroup,
  type KeyService,
  type TreeItem,
  type TreeValue,
} from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"

const RUNS = process.env["SLOW"] ? 200 : 25
let identities: { identity: string; recipient: string }[] = []
let everyone: KeyService
const alone = new Map<number, KeyService>()

beforeAll(async () => {
  identities = await Promise.all([1, 2, 3, 4].map(() => generateAgeIdentity()))
  everyone = ageKeyService({ identities: identities.map((i) => i.identity) })
  identities.forEach((id, i) => alone.set(i, ageKeyService({ identities: [id.identity] })))
})

const ageKey = (i: number): AgeMasterKey => ({ type: "age", recipient: identities[i]!.recipient, enc: "" })

/** Key layouts: one group of 1-3 keys, or 2-4 groups with a threshold. */
const layouts = fc.oneof(
  fc.record({ groups: fc.constant(1), perGroup: fc.integer({ min: 1, max: 3 }), threshold: fc.constant(0) }),
  fc.integer({ min: 2, max: 4 }).chain((groups) =>
    fc.record({ groups: fc.constant(groups), perGroup: fc.constant(1), threshold: fc.integer({ min: 2, max: groups }) }),
  ),
)

function groupsFor(l: { groups: number; perGroup: number }): KeyGroup[] {
  if (l.groups === 1) return [Array.from({ length: l.perGroup }, (_, i) => ageKey(i))]
  return Array.from({ length: l.groups }, (_, g) => [ageKey(g)])
}

const selections: fc.Arbitrary<EncryptionOptions> = fc.oneof(
  fc.constant({}),
  fc.constant({ unencryptedSuffix: "_pub" }),
  fc.constant({ encryptedSuffix: "_sec" }),
  fc.constant({ unencryptedRegex: "^pub" }),
  fc.constant({ encryptedRegex: "^(sec|pass)" }),
  fc.constant({ macOnlyEncrypted: true }),
  fc.constant({ unencryptedSuffix: "_pub", macOnlyEncrypted: true }),
)

const keyNames = fc.oneof(
  fc.constantFrom("a", "b", "pub_x", "sec", "password", "x_pub", "y_sec", "nested", "list"),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/),
)
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("true", "null", "0x1F", "1e3", "- dash", "a: b", "#hash", " lead", "trail ", "multi\nline", "ünïcödé", "2024-01-01"),
)
const scalar: fc.Arbitrary<TreeValue> = fc.oneof(
  text,
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d) && !Object.is(d, -0)),
  fc.boolean(),
  fc.constant(null),
)

function uniqueItems(pairs: [string, TreeValue][]): TreeItem[] {
  const seen = new Set<string>()
  return pairs.filter(([k]) => !seen.has(k) && seen.add(k)).map(([key, value]) => ({ key, value }))
}

const { tree: yamlTree } = fc.letrec<{ tree: TreeBranch; value: TreeValue }>((tie) => ({
  tree: fc
    .tuple(fc.array(fc.tuple(keyNames, tie("value")), { maxLength: 5 }), fc.option(fc.constantFrom(" a comment", "another")))
    .map(([pairs, comment]) => {
      const items = uniqueItems(pairs as [string, TreeValue][])
      if (comment !== null && items.length > 0) items.unshift({ key: new Comment(comment), value: null })
      return new TreeBranch(items)
    }),
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("tree"), fc.array(tie("value"), { maxLength: 3 })),
}))

const jsonTree = yamlTree.map(function stripComments(b: TreeBranch): TreeBranch {
  const strip = (v: TreeValue): TreeValue =>
    v instanceof TreeBranch ? stripComments(v) : Array.isArray(v) ? v.filter((e) => !(e instanceof Comment)).map(strip) : v
  return new TreeBranch(b.items.filter((i) => !(i.key instanceof Comment)).map((i) => ({ key: i.key, value: strip(i.value) })))
})

const flatString = fc.stringMatching(/^[A-Za-z0-9 _.:\/-]{0,20}$/)
const dotenvTree = fc
  .array(fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/), flatString), { maxLength: 8 })
  .map((pairs) => new TreeBranch(uniqueItems(pairs).filter((i) => !(i.key as string).toLowerCase().startsWith("sops_"))))
const iniTree = fc
  .array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/), flatString.map((s) => s.trim())), { maxLength: 4 })), { minLength: 1, maxLength: 3 })
  .map((sections) => new TreeBranch(uniqueItems(sections.filter(([n]) => n !== "sops").map(([n, kv]) => [n, new TreeBranch(uniqueItems(kv))] as [string, TreeValue]))))

/**
 * The plaintext of `tree` as the store settles it: emit(load(...)) repeated until the text no
 * longer changes. One pass is not always enough, as in sops: a comment heading a list nested
 * in a list is written after the dash (`- # c`) and read back one level up, so the first
 * reload can still move it. The encrypt/decrypt round trip is then checked on text the store
 * itself keeps as is.
 */
function canonicalPlaintext(format: Format, tree: TreeBranch): Uint8Array {
  const store = storeFor(format)
  let text = store.emitPlain([tree])
  for (let pass = 0; pass < 4; pass++) {
    const next = store.emitPlain(store.loadPlain(text))
    if (Buffer.from(next).equals(Buffer.from(text))) return next
    text = next
  }
  return text
}

async function roundTrip(format: Format, plain: Uint8Array, selection: EncryptionOptions, layout: { groups: number; perGroup: number; threshold: number }): Promise<void> {
  const enc = await encrypt(plain, {
    format,
    keyGroups: groupsFor(layout),
    shamirThreshold: layout.threshold,
    selection,
    keyServices: [everyone],
  })
  // Any single identity opens a one-group file; a Shamir file needs `threshold` groups.
  const services = layout.groups === 1 ? [alone.get(layout.perGroup - 1)!] : [everyone]
  const dec = await decrypt(enc, { format, keyServices: services })
  expect(Buffer.from(dec).toString("latin1")).toBe(Buffer.from(plain).toString("latin1"))
  if (layout.groups > 1 && layout.threshold < layout.groups) {
    // Exactly `threshold` groups are enough.
    const some = ageKeyService({ identities: identities.slice(0, layout.threshold).map((i) => i.identity) })
    expect(await decrypt(enc, { format, keyServices: [some] })).toEqual(dec)
  }
}

describe("encrypt then decrypt returns the plaintext", () => {
  for (const [format, arb] of [
    ["yaml", yamlTree],
    ["json", jsonTree],
    ["dotenv", dotenvTree],
    ["ini", iniTree],
  ] as const) {
    test.prop([arb, selections, layouts], { numRuns: RUNS })(`${format}`, async (tree, selection, layout) => {
      await roundTrip(format, canonicalPlaintext(format, tree), selection, layout)
    })
  }

  test.prop([fc.uint8Array({ maxLength: 200 }), layouts], { numRuns: RUNS })("binary", async (bytes, layout) => {
    await roundTrip("binary", bytes, {}, layout)
  })
})
