/**
 * The INI store: tree ↔ go-ini mapping (comment shift, DEFAULT handling), the go-ini writer's
 * exact layout, flattened [sops] metadata, and the sops-generated vectors.
 */
import { describe, expect, it } from "vitest"
import { createIniStore } from "../src/stores/ini/index.js"
import { Comment, NonStringKey, Timestamp, TreeBranch } from "../src/tree.js"
import { bin, branch, dec, enc, expectSopsError, hasConformance, manifestFiles, vector, view } from "./ini-dotenv-helpers.js"

const store = createIniStore()
const emit = (...sections: [string, TreeBranch | string][]): string => dec(store.emitPlain([branch(...sections)]))

describe("INI emitPlain: layout", () => {
  it("aligns ' = ' to the longest key of each section and separates sections by one blank line", () => {
    expect(emit(["a", branch(["x", "1"], ["longer", "2"])], ["b", branch(["k", "v"])])).toBe(
      "[a]\nx      = 1\nlonger = 2\n\n[b]\nk = v\n",
    )
  })

  it("omits the header of a first DEFAULT section and leaves it out when it is empty", () => {
    expect(emit(["DEFAULT", branch(["top", "1"])], ["s", branch(["k", "v"])])).toBe("top = 1\n\n[s]\nk = v\n")
    expect(emit(["DEFAULT", new TreeBranch()], ["s", branch(["k", "v"])])).toBe("[s]\nk = v\n")
    // Only the first section is special; go-ini compares the name upper-cased.
    expect(emit(["default", branch(["k", "v"])])).toBe("k = v\n")
    expect(emit(["s", new TreeBranch()], ["DEFAULT", branch(["k", "v"])])).toBe("[s]\n\n[DEFAULT]\nk = v\n")
  })

  it("writes an empty section as a bare header", () => {
    expect(emit(["a", new TreeBranch()], ["b", new TreeBranch()])).toBe("[a]\n\n[b]\n")
  })

  it("quotes values: line break or backtick → triple quotes, # or ; → backticks, outer space → double quotes", () => {
    expect(
      emit([
        "s",
        branch(["nl", "a\nb"], ["bt", "a`b"], ["hash", "a#b"], ["semi", "a;b"], ["sp", " a"], ["tab", "a\t"], ["plain", 'a "b" c']),
      ]),
    ).toBe('[s]\nnl    = """a\nb"""\nbt    = """a`b"""\nhash  = `a#b`\nsemi  = `a;b`\nsp    = " a"\ntab   = "a\t"\nplain = a "b" c\n')
  })

  it("writes an empty value as 'key = ' with a trailing space", () => {
    expect(emit(["s", branch(["k", ""])])).toBe("[s]\nk = \n")
  })

  it("quotes keys with \", = or : in backticks and keys with a backtick in triple quotes, counting them in the alignment", () => {
    expect(emit(["s", branch(["a=b", "1"], ['c"d', "2"], ["e`f", "3"], ["g", "4"])])).toBe(
      '[s]\n`a=b`     = 1\n`c"d`     = 2\n"""e`f""" = 3\ng         = 4\n',
    )
  })

  it("aligns by bytes, as Go does, not by characters", () => {
    expect(emit(["s", branch(["é", "1"], ["ab", "2"])])).toBe("[s]\né = 1\nab = 2\n")
  })

  it("writes non-string values with ValToString and raw bytes as they are", () => {
    const out = store.emitPlain([
      branch(["s", branch(["f", 1.5], ["i", 3n], ["b", false], ["n", null], ["t", new Timestamp(0)], ["raw", bin("\xff")])]),
    ])
    expect(out).toEqual(bin("[s]\nf   = 1.5\ni   = 3\nb   = false\nn   = <nil>\nt   = 1970-01-01T00:00:00Z\nraw = \xff\n"))
  })

  it("stringifies nested maps and lists with Go's %v (lossy, as sops does)", () => {
    expect(emit(["s", branch(["l", ["a", "b"]], ["m", branch(["k", "v"])])])).toBe("[s]\nl = [a b]\nm = [{k v}]\n")
  })

  it("drops top-level comments", () => {
    expect(emit(["#top", branch()], ["s", branch(["k", "v"])])).toBe("[s]\nk = v\n")
  })

  it("writes a repeated key once, at its first position, with the last value", () => {
    expect(emit(["s", branch(["k", "1"], ["j", "2"], ["k", "3"])])).toBe("[s]\nk = 3\nj = 2\n")
  })
})

describe("INI emitPlain: comments", () => {
  it("writes a leading comment as the section comment and later ones before the key they follow in the tree", () => {
    const tree = branch(["s", branch(["#section note", null], ["a", "1"], ["#about a", null], ["b", "2"])])
    expect(dec(store.emitPlain([tree]))).toBe("; section note\n[s]\n; about a\na = 1\nb = 2\n")
  })

  it("keeps only the last of several comments after one key and drops one before any key", () => {
    const tree = branch(["s", branch(["a", "1"], ["#first", null], ["#second", null])])
    expect(dec(store.emitPlain([tree]))).toBe("[s]\n; second\na = 1\n")
  })

  it("keeps comment lines that already start with # or ;, normalising the space after the marker", () => {
    const tree = branch(["s", branch(["a", "1"], ["#x\n#  y\n;z", null])])
    expect(dec(store.emitPlain([tree]))).toBe("[s]\n; x\n# y\n; z\na = 1\n")
  })

  it("round-trips comments with their shift: load → emit reproduces a sops-written file", () => {
    const text = "; header\n[s]\n; about a\na = 1\n; about b\nb = 2\n"
    const loaded = store.loadPlain(enc(text))
    expect(view(loaded[0]!)).toEqual([
      ["DEFAULT", []],
      ["s", [["#header", null], ["a", "1"], ["#about a", null], ["b", "2"], ["#about b", null]]],
    ])
    expect(dec(store.emitPlain(loaded))).toBe(text)
  })
})

describe("INI emitPlain: errors", () => {
  it("requires every section value to be a mapping", () => {
    expectSopsError(() => store.emitPlain([branch(["s", "scalar"])]), "ERR_UNSUPPORTED_VALUE")
  })

  it("refuses empty and non-string section or key names", () => {
    expectSopsError(() => store.emitPlain([branch(["", new TreeBranch()])]), "ERR_UNSUPPORTED_VALUE")
    expectSopsError(() => store.emitPlain([branch(["s", branch(["", "v"])])]), "ERR_UNSUPPORTED_VALUE")
    expectSopsError(
      () => store.emitPlain([new TreeBranch([{ key: new NonStringKey(1n), value: new TreeBranch() }])]),
      "ERR_UNSUPPORTED_VALUE",
    )
  })
})

describe("INI metadata", () => {
  const meta = branch(
    ["lastmodified", "2026-05-22T20:15:58Z"],
    ["mac", "ENC[m]"],
    ["pgp", [branch(["created_at", "c"], ["enc", "-----BEGIN-----\n\nabc\n-----END-----"], ["fp", "F"])]],
    ["shamir_threshold", 2n],
    ["version", "3.13.2"],
  )

  it("writes a final [sops] section, flattened, newlines escaped, aligned", () => {
    const out = dec(store.emitEncrypted([branch(["DEFAULT", new TreeBranch()], ["foo", branch(["bar", "x"])])], meta))
    expect(out).toBe(
      "[foo]\nbar = x\n\n[sops]\n" +
        "lastmodified                = 2026-05-22T20:15:58Z\n" +
        "mac                         = ENC[m]\n" +
        "pgp__list_0__map_created_at = c\n" +
        "pgp__list_0__map_enc        = -----BEGIN-----\\n\\nabc\\n-----END-----\n" +
        "pgp__list_0__map_fp         = F\n" +
        "shamir_threshold            = 2\n" +
        "version                     = 3.13.2\n",
    )
  })

  it("loads [sops] back into nested metadata and removes it from the data", () => {
    const loaded = store.loadEncrypted(store.emitEncrypted([branch(["foo", branch(["bar", "x"])])], meta))
    expect(view(loaded.branches[0]!)).toEqual([
      ["DEFAULT", []],
      ["foo", [["bar", "x"]]],
    ])
    expect(view(loaded.metadata)).toEqual([
      ["lastmodified", "2026-05-22T20:15:58Z"],
      ["mac", "ENC[m]"],
      ["pgp", [[["created_at", "c"], ["enc", "-----BEGIN-----\n\nabc\n-----END-----"], ["fp", "F"]]]],
      ["shamir_threshold", "2"],
      ["version", "3.13.2"],
    ])
  })

  it("reads the 3.13.0/3.13.1 form with real newlines in a triple-quoted value", () => {
    const loaded = store.loadEncrypted(enc('[sops]\nenc = """a\n\nb"""\nversion = 3.13.1\n'))
    expect(view(loaded.metadata)).toEqual([
      ["enc", "a\n\nb"],
      ["version", "3.13.1"],
    ])
  })

  it("ignores comments inside [sops]", () => {
    expect(view(store.loadEncrypted(enc("[sops]\n; note\nversion = 1\n")).metadata)).toEqual([["version", "1"]])
  })

  it("reports a file without [sops] as ERR_METADATA_MISSING (sops store_test: hello=2)", () => {
    expectSopsError(() => store.loadEncrypted(enc("hello=2")), "ERR_METADATA_MISSING")
    expectSopsError(() => store.loadEncrypted(enc("[s]\nk=v\n[sops]\n")), "ERR_METADATA_MISSING")
  })

  it("reports two [sops] sections or broken flattening as ERR_METADATA_INVALID", () => {
    expectSopsError(() => store.loadEncrypted(enc("[sops]\na=1\n[sops]\nb=2\n")), "ERR_METADATA_INVALID")
    expectSopsError(() => store.loadEncrypted(enc("[sops]\nl__list_1 = x\n")), "ERR_METADATA_INVALID")
  })

  it("refuses to embed metadata next to a data section named sops", () => {
    expectSopsError(() => store.emitEncrypted([branch(["sops", new TreeBranch()])], meta), "ERR_UNSUPPORTED_VALUE")
  })

  it("detects a top-level sops section", () => {
    expect(store.hasSopsTopLevelKey(branch(["sops", new TreeBranch()]))).toBe(true)
    expect(store.hasSopsTopLevelKey(branch(["sops_x", new TreeBranch()]))).toBe(false)
  })
})

describe("INI emitValue (Go json.Marshal)", () => {
  it("JSON-encodes scalars the way Go does", () => {
    expect(dec(store.emitValue("a<b>&\"\n\u2028"))).toBe('"a\\u003cb\\u003e\\u0026\\"\\n\\u2028"')
    expect(dec(store.emitValue(bin("\xffa")))).toBe('"\uFFFDa"')
    expect(dec(store.emitValue(12n))).toBe("12")
    expect(dec(store.emitValue(1e21))).toBe("1e+21")
    expect(dec(store.emitValue(true))).toBe("true")
    expect(dec(store.emitValue(null))).toBe("null")
    expect(dec(store.emitValue(new Timestamp(0, 5)))).toBe('"1970-01-01T00:00:00.000000005Z"')
    expect(dec(store.emitValue("\u0001\b"))).toBe('"\\u0001\\b"')
  })

  it("encodes a mapping as Go encodes a TreeBranch: a list of {Key, Value}", () => {
    const tree = new TreeBranch([
      { key: "a", value: ["x", 1n] },
      { key: new Comment("c"), value: null },
    ])
    expect(dec(store.emitValue(tree))).toBe('[{"Key":"a","Value":["x",1]},{"Key":{"Value":"c"},"Value":null}]')
  })

  it("refuses NaN like Go's json.Marshal", () => {
    expectSopsError(() => store.emitValue(NaN), "ERR_UNSUPPORTED_VALUE")
  })
})

describe("INI at scale", () => {
  it("loads and emits 10,000 values", () => {
    let text = ""
    for (let s = 0; s < 100; s++) {
      text += `${s === 0 ? "" : "\n"}[section${s}]\n`
      for (let k = 0; k < 100; k++) text += `key${String(k).padStart(2, "0")} = value ${s}.${k}\n`
    }
    const input = enc(text)
    store.emitPlain(store.loadPlain(enc("[s]\nk = v ; c\n")))
    const out = store.emitPlain(store.loadPlain(input))
    expect(dec(out)).toBe(text)
  })
})

describe.skipIf(!hasConformance)("INI conformance vectors", () => {
  it("round-trips functional-tests/res/format.enc.ini (3.13.2) byte for byte", () => {
    const input = vector("getsops-sops/functional-tests/res/format.enc.ini")
    const loaded = store.loadEncrypted(input)
    expect(loaded.branches[0]!.items.map((i) => i.key)).toEqual(["DEFAULT", "foo"])
    expect(dec(store.emitEncrypted(loaded.branches, loaded.metadata))).toBe(dec(input))
  })

  it("reads format-2.enc.ini (3.13.1, triple-quoted armour) and re-emits it in the escaped form", () => {
    const input = dec(vector("getsops-sops/functional-tests/res/format-2.enc.ini"))
    const loaded = store.loadEncrypted(enc(input))
    const pgp = loaded.metadata.get("pgp") as TreeBranch[]
    const armour = pgp[0]!.get("enc") as string
    expect(armour.startsWith("-----BEGIN PGP MESSAGE-----\n\nwcBMA")).toBe(true)
    expect(armour.endsWith("\n-----END PGP MESSAGE-----")).toBe(true)
    const expected = input.replace(/"""([\s\S]*?)"""/, (_, body: string) => body.replaceAll("\n", "\\n"))
    expect(dec(store.emitEncrypted(loaded.branches, loaded.metadata))).toBe(expected)
  })

  it("round-trips the plaintext of format.enc.ini", () => {
    const plain = vector("getsops-sops/functional-tests/res/format.enc.ini.plaintext")
    expect(dec(plain)).toBe("[foo]\nbar = baz\n")
    expect(store.emitPlain(store.loadPlain(plain))).toEqual(plain)
  })

  it("keeps the encrypted section comment of example.ini as the first item of [name]", () => {
    const loaded = store.loadEncrypted(vector("getsops-sops/example.ini"))
    const name = loaded.branches[0]!.get("name") as TreeBranch
    const first = name.items[0]!.key
    expect(first).toBeInstanceOf(Comment)
    expect((first as Comment).value.startsWith("ENC[AES256_GCM,data:")).toBe(true)
    expect(loaded.branches[0]!.items.map((i) => i.key)).toEqual(["DEFAULT", "name", "address", "phoneNumbers", "not private"])
  })

  const files = manifestFiles("ini")
  it("has INI vectors in the manifest", () => {
    expect(files.length).toBeGreaterThanOrEqual(7)
  })
  for (const { file, sops_version } of files) {
    it(`${file} (${sops_version}): metadata found; load → emit → load gives the same tree`, () => {
      const loaded = store.loadEncrypted(vector(file))
      expect(loaded.metadata.get("version")).toBe(sops_version)
      expect(loaded.metadata.has("mac")).toBe(true)
      const again = store.loadEncrypted(store.emitEncrypted(loaded.branches, loaded.metadata))
      expect(view(again.branches[0]!)).toEqual(view(loaded.branches[0]!))
      expect(view(again.metadata)).toEqual(view(loaded.metadata))
    })
  }
})
