import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { findConfigFile, loadConfig, lookupConfigFile } from "../src/config/load.js"
import { parseConfig, type SopsConfig } from "../src/config/sops-config.js"
import { SopsError } from "../src/errors.js"
import { keyId, type KeyGroup } from "../src/metadata/model.js"

const DIR = resolve("/repo")
const now = (): Date => new Date("2024-01-02T03:04:05Z")
const AGE1 = "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun"
const AGE2 = "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"
const arn = (n: string): string => `arn:aws:kms:us-east-1:111122223333:key/${n}`

/** `type id` strings of each group, the shape tests compare. */
function ids(groups: KeyGroup[]): string[][] {
  return groups.map((g) => g.map((k) => `${k.type} ${keyId(k)}`))
}

function cfg(text: string): SopsConfig {
  return parseConfig(text, DIR)
}

function errorOf(fn: () => unknown): SopsError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError)
    return err as SopsError
  }
  throw new Error("expected a SopsError")
}

describe("creation rule matching", () => {
  const config = cfg(`
creation_rules:
  - path_regex: ^secrets/.*\\.yaml$
    pgp: AAAA
  - path_regex: (?i)\\.PROD\\.json\\z
    pgp: BBBB
  - path_regex: ""
    pgp: CCCC
`)
  const fpFor = (p: string): string | undefined => {
    const key = config.creationRuleFor(p)?.keyGroups[0]?.[0]
    return key?.type === "pgp" ? key.fp : undefined
  }

  it("matches absolute paths inside the config dir relative to it", () => {
    expect(fpFor(join(DIR, "secrets/a.yaml"))).toBe("AAAA")
  })

  it("matches paths outside the config dir as given (so ^secrets/ does not match)", () => {
    expect(fpFor(resolve("/elsewhere/secrets/a.yaml"))).toBe("CCCC")
    expect(fpFor(resolve("/repository/secrets/a.yaml"))).toBe("CCCC")
  })

  it("matches relative paths as given", () => {
    expect(fpFor("secrets/a.yaml")).toBe("AAAA")
  })

  it("tries rules in order, first match wins, and searches unanchored", () => {
    expect(fpFor(join(DIR, "secrets/x.prod.json"))).toBe("BBBB")
    expect(fpFor(join(DIR, "deep/dir/app.prod.json"))).toBe("BBBB")
  })

  it("uses RE2 syntax: (?i) and \\z (which JS RegExp cannot express)", () => {
    expect(fpFor(join(DIR, "APP.Prod.JSON"))).toBe("BBBB")
    expect(fpFor(join(DIR, "app.prod.json.bak"))).toBe("CCCC")
  })

  it("treats an empty path_regex as match-all", () => {
    expect(fpFor(join(DIR, "anything"))).toBe("CCCC")
  })

  it("fails with ERR_CONFIG when no rule matches, also for creation_rules: []", () => {
    const err = errorOf(() => cfg("creation_rules:\n  - path_regex: nope\n    pgp: A\n").creationRuleFor("/x/y"))
    expect(err.code).toBe("ERR_CONFIG")
    expect(err.message).toBe("error loading config: no matching creation rules found")
    expect(errorOf(() => cfg("creation_rules: []\n").creationRuleFor("/x")).code).toBe("ERR_CONFIG")
  })

  it("returns null (no config) when creation_rules is absent, null or the file is empty", () => {
    expect(cfg("").creationRuleFor("/x")).toBeNull()
    expect(cfg("creation_rules:\n").creationRuleFor("/x")).toBeNull()
    expect(cfg("destination_rules:\n  - s3_bucket: b\n").creationRuleFor("/x")).toBeNull()
  })

  it("names the matching rule's index, and builds that rule on demand, as creationRuleFor does", () => {
    expect(config.creationRuleIndex(join(DIR, "secrets/a.yaml"))).toBe(0)
    expect(config.creationRuleIndex(join(DIR, "x.prod.json"))).toBe(1)
    expect(config.creationRuleIndex("/elsewhere/other")).toBe(2)
    expect(cfg("").creationRuleIndex("/x")).toBeNull()
    expect(errorOf(() => cfg("creation_rules: []\n").creationRuleIndex("/x")).code).toBe("ERR_CONFIG")
    const path = join(DIR, "secrets/a.yaml")
    expect(config.creationRuleAt(config.creationRuleIndex(path)!)).toEqual(config.creationRuleFor(path))
    expect(errorOf(() => config.creationRuleAt(3)).code).toBe("ERR_CONFIG")
  })

  it("reports an invalid path_regex reached before a match as ERR_CONFIG", () => {
    const c = cfg('creation_rules:\n  - path_regex: "(?<!x)a"\n  - path_regex: ""\n')
    const err = errorOf(() => c.creationRuleFor("/a"))
    expect(err.code).toBe("ERR_CONFIG")
    expect(err.message).toContain("can not compile regexp")
    // A bad pattern after the matching rule is never compiled.
    const later = cfg('creation_rules:\n  - path_regex: ""\n  - path_regex: "("\n')
    expect(later.creationRuleFor("/a")?.keyGroups).toEqual([[]])
  })
})

describe("flat key lists", () => {
  const text = `
creation_rules:
  - path_regex: ""
    hc_vault_transit_uri: https://vault:8200/v1/transit/keys/k
    azure_keyvault: https://v.vault.azure.net/keys/k/1
    hckms: ["tr-west-1:abc"]
    gcp_kms: projects/p/locations/l/keyRings/r/cryptoKeys/k
    kms: "${arn("1")}+arn:aws:iam::1:role/r, ${arn("2")}"
    aws_profile: dev
    pgp: "AAAA, BBBB,"
    age: "${AGE1},${AGE2}"
`
  it("builds one group in the order age, pgp, kms, gcp_kms, hckms, azure_keyvault, hc_vault", () => {
    const rule = cfg(text).creationRuleFor("/repo/f.yaml", { kmsEncryptionContext: { app: "x" }, now })
    expect(ids(rule!.keyGroups)).toEqual([
      [
        `age ${AGE1}`,
        `age ${AGE2}`,
        "pgp AAAA",
        "pgp BBBB",
        `kms ${arn("1")}+arn:aws:iam::1:role/r|app:x|dev`,
        `kms ${arn("2")}|app:x|dev`,
        "gcp_kms projects/p/locations/l/keyRings/r/cryptoKeys/k",
        "hckms tr-west-1:abc",
        "azure_kv https://v.vault.azure.net/keys/k/1",
        "hc_vault https://vault:8200/v1/transit/keys/k",
      ],
    ])
    expect(rule!.keyGroups[0]!.every((k) => k.type === "age" || k.createdAt === "2024-01-02T03:04:05Z")).toBe(true)
  })

  it("accepts YAML lists, does not de-duplicate, and yields one empty group when there are no keys", () => {
    const c = cfg(`creation_rules:\n  - path_regex: a\n    pgp: [AAAA, AAAA]\n  - path_regex: b\n`)
    expect(ids(c.creationRuleFor("a")!.keyGroups)).toEqual([["pgp AAAA", "pgp AAAA"]])
    expect(c.creationRuleFor("b")!.keyGroups).toEqual([[]])
  })

  it("turns a malformed key into ERR_CONFIG naming the rule", () => {
    const err = errorOf(() => cfg(`creation_rules:\n  - kms: not-an-arn\n`).creationRuleFor("x"))
    expect(err.code).toBe("ERR_CONFIG")
    expect(err.message).toContain("creation_rules[0]")
    expect((err.cause as SopsError).code).toBe("ERR_INVALID_ARGUMENT")
  })

  it("rejects non-string list items and other types (sops: invalid key configuration)", () => {
    expect(errorOf(() => cfg(`creation_rules:\n  - pgp: [AAAA, 12]\n`)).code).toBe("ERR_CONFIG")
    expect(errorOf(() => cfg(`creation_rules:\n  - age: 5\n`)).code).toBe("ERR_CONFIG")
    expect(errorOf(() => cfg(`creation_rules:\n  - hckms: "tr:1"\n`)).code).toBe("ERR_CONFIG")
  })
})

describe("key_groups", () => {
  it("orders each group: merged groups, age, pgp, kms, gcp_kms, hckms, azure_keyvault, hc_vault", () => {
    const c = cfg(`
creation_rules:
  - key_groups:
    - hc_vault: [https://v:8200/v1/t/keys/k]
      azure_keyvault: [{vaultUrl: "https://a.vault.azure.net", key: k}]
      hckms: [{key_id: "r:u"}]
      gcp_kms: [{resource_id: g}]
      kms: [{arn: "${arn("1")}", role: "arn:aws:iam::1:role/x", context: {b: "2", a: "1"}, aws_profile: p}]
      pgp: [AAAA]
      age: ["${AGE1}, ${AGE2}"]
      merge:
        - pgp: [MMMM]
    - pgp: [BBBB]
`)
    expect(ids(c.creationRuleFor("x")!.keyGroups)).toEqual([
      [
        "pgp MMMM",
        `age ${AGE1}`,
        `age ${AGE2}`,
        "pgp AAAA",
        `kms ${arn("1")}+arn:aws:iam::1:role/x|a:1,b:2|p`,
        "gcp_kms g",
        "hckms r:u",
        // No version: kept empty for the Azure provider to resolve.
        "azure_kv https://a.vault.azure.net/keys/k/",
        "hc_vault https://v:8200/v1/t/keys/k",
      ],
      ["pgp BBBB"],
    ])
  })

  it("inlines nested merges and removes duplicates within a group only (sops TestLoadConfigFileWithMerge)", () => {
    const c = cfg(`
creation_rules:
  - path_regex: ""
    key_groups:
    - hc_vault: ['https://foo.vault:8200/v1/foo/keys/foo-key']
    - merge:
      - merge:
        - pgp: [foo]
          kms:
          - {arn: "${arn("foo")}", aws_profile: foo}
          - {arn: "${arn("foo")}", aws_profile: bar, context: {baz: bam}, role: "123"}
          gcp_kms: [{resource_id: foo}]
          azure_keyvault: [{vaultUrl: "https://foo.vault.azure.net", key: foo-key, version: fooversion}]
          hc_vault: ['https://bar.vault:8200/v1/bar/keys/bar-key']
        - pgp: [bar]
          kms: [{arn: "${arn("bar")}", aws_profile: bar}]
          gcp_kms: [{resource_id: bar}, {resource_id: baz}]
          hc_vault: ['https://baz.vault:8200/v1/baz/keys/baz-key']
        pgp: [baz]
        gcp_kms: [{resource_id: bar}]
        azure_keyvault: [{vaultUrl: "https://foo.vault.azure.net", key: foo-key, version: fooversion}]
        hc_vault: ['https://foo.vault:8200/v1/foo/keys/foo-key']
      - pgp: [qux]
      pgp: [bar]
      kms:
      - {arn: "${arn("bar")}", aws_profile: bar}
      - {arn: "${arn("fnord")}", aws_profile: fnord}
      - {arn: "${arn("foo")}", aws_profile: bar, context: {baz: bam}, role: "123"}
      gcp_kms: [{resource_id: bar}, {resource_id: fnord}]
      hc_vault: ['https://baz.vault:8200/v1/baz/keys/baz-key', 'https://fnord.vault:8200/v1/fnord/keys/fnord-key']
`)
    const groups = ids(c.creationRuleFor("/any")!.keyGroups)
    expect(groups[0]).toEqual(["hc_vault https://foo.vault:8200/v1/foo/keys/foo-key"])
    expect(groups[1]).toEqual([
      "pgp foo",
      `kms ${arn("foo")}||foo`,
      `kms ${arn("foo")}+123|baz:bam|bar`,
      "gcp_kms foo",
      "azure_kv https://foo.vault.azure.net/keys/foo-key/fooversion",
      "hc_vault https://bar.vault:8200/v1/bar/keys/bar-key",
      "pgp bar",
      `kms ${arn("bar")}||bar`,
      "gcp_kms bar",
      "gcp_kms baz",
      "hc_vault https://baz.vault:8200/v1/baz/keys/baz-key",
      "pgp baz",
      // The same Vault key as group 0 is kept: de-duplication is per group.
      "hc_vault https://foo.vault:8200/v1/foo/keys/foo-key",
      "pgp qux",
      `kms ${arn("fnord")}||fnord`,
      "gcp_kms fnord",
      "hc_vault https://fnord.vault:8200/v1/fnord/keys/fnord-key",
    ])
  })

  it("ignores the flat lists when key_groups is non-empty, and uses them when it is []", () => {
    const c = cfg(`creation_rules:\n  - path_regex: a\n    pgp: FLAT\n    key_groups: [{pgp: [G]}]\n  - path_regex: b\n    pgp: FLAT\n    key_groups: []\n`)
    expect(ids(c.creationRuleFor("a")!.keyGroups)).toEqual([["pgp G"]])
    expect(ids(c.creationRuleFor("b")!.keyGroups)).toEqual([["pgp FLAT"]])
  })

  it("does not apply the CLI encryption context to key_groups KMS keys", () => {
    const c = cfg(`creation_rules:\n  - key_groups: [{kms: [{arn: "${arn("1")}"}]}]\n`)
    expect(ids(c.creationRuleFor("x", { kmsEncryptionContext: { a: "b" } })!.keyGroups)).toEqual([[`kms ${arn("1")}`]])
  })

  it("rejects a null KMS context value", () => {
    const c = cfg(`creation_rules:\n  - key_groups: [{kms: [{arn: "${arn("1")}", context: {a: null}}]}]\n`)
    expect(errorOf(() => c.creationRuleFor("x")).code).toBe("ERR_CONFIG")
  })
})

describe("rule options", () => {
  it("copies shamir_threshold, the selection option and mac_only_encrypted", () => {
    const c = cfg(`creation_rules:\n  - shamir_threshold: 2\n    encrypted_regex: "^(data|stringData)$"\n    mac_only_encrypted: true\n`)
    const rule = c.creationRuleFor("x")!
    expect(rule.shamirThreshold).toBe(2)
    expect(rule.options).toEqual({ encryptedRegex: "^(data|stringData)$", macOnlyEncrypted: true })
  })

  it("does not fill in the default suffix", () => {
    expect(cfg(`creation_rules:\n  - pgp: A\n`).creationRuleFor("x")!.options).toEqual({})
  })

  it("rejects more than one selection option with ERR_CONFLICTING_OPTIONS", () => {
    const c = cfg(`creation_rules:\n  - unencrypted_suffix: _u\n    encrypted_suffix: _e\n    kms: bad-arn-not-reached\n`)
    const err = errorOf(() => c.creationRuleFor("x"))
    expect(err.code).toBe("ERR_CONFLICTING_OPTIONS")
    expect(err.message).toContain("cannot use more than one of")
  })
})

describe("schema decoding", () => {
  it("ignores unknown keys", () => {
    expect(cfg(`creation_rules:\n  - filename_regex: x\n    hc_vault_uris: y\n    pgp: A\nother: 1\n`).creationRuleFor("x")).not.toBeNull()
  })

  it.each([
    ["an int field holding text", "creation_rules:\n  - shamir_threshold: two\n"],
    ["a string field holding a list", "creation_rules:\n  - path_regex: [a]\n"],
    ["a list field holding a string", "creation_rules: rules\n"],
    ["a struct holding a scalar", "creation_rules:\n  - key_groups: [x]\n"],
    ["a bool field holding a number", "creation_rules:\n  - mac_only_encrypted: 2\n"],
    ["a repeated key", "creation_rules:\n  - pgp: A\n    pgp: B\n"],
    ["a top-level scalar", "just text\n"],
    ["invalid YAML", "creation_rules: [\n"],
  ])("rejects %s with ERR_CONFIG", (_, text) => {
    expect(errorOf(() => cfg(text)).code).toBe("ERR_CONFIG")
  })

  it.each([
    ["a nested compact mapping", "creation_rules:\n  - kms: a: hunter2secret\n", 2],
    ["an unclosed quote", "creation_rules:\n  - pgp: \"hunter2secret\n", 3],
    ["an invalid escape", "creation_rules:\n  - pgp: \"hunter2\\qsecret\"\n", 2],
  ])("reports %s by line, never quoting the config text", (_, text, line) => {
    const err = errorOf(() => cfg(text))
    expect(err.code).toBe("ERR_CONFIG")
    expect(err.message).toContain(`line ${line}`)
    expect(err.message).not.toContain("hunter2")
    expect(String(err.cause ?? "")).not.toContain("hunter2")
  })

  it("reads any scalar into a string field and YAML 1.1 words into bools, as go-yaml does", () => {
    const rule = cfg(`creation_rules:\n  - path_regex: 1.50\n    unencrypted_suffix: 123\n    mac_only_encrypted: yes\n`).creationRuleFor("x1.50")!
    expect(rule.options).toEqual({ unencryptedSuffix: "123", macOnlyEncrypted: true })
  })

  it("resolves anchors, aliases and << merge keys (explicit keys win)", () => {
    const c = cfg(`
defaults: &defaults
  pgp: BASE
  shamir_threshold: 3
keys:
  - &alice ${AGE1}
creation_rules:
  - <<: *defaults
    path_regex: x
    shamir_threshold: 1
    age: [*alice]
`)
    const rule = c.creationRuleFor("x")!
    expect(rule.shamirThreshold).toBe(1)
    expect(ids(rule.keyGroups)).toEqual([[`age ${AGE1}`, "pgp BASE"]])
  })

  it("reads the stores section with sops' defaults", () => {
    expect(cfg("").stores).toEqual({ yaml: { indent: 0 }, json: { indent: -1 }, jsonBinary: { indent: -1 } })
    expect(cfg("stores:\n  yaml: {indent: 2}\n  json: {}\n  json_binary: {indent: 4}\n").stores).toEqual({
      yaml: { indent: 2 },
      json: { indent: -1 },
      jsonBinary: { indent: 4 },
    })
    expect(errorOf(() => cfg("stores:\n  json: {indent: wide}\n")).code).toBe("ERR_CONFIG")
  })
})

describe("destination rules", () => {
  const c = cfg(`
destination_rules:
  - path_regex: "^s3/"
    s3_bucket: bucket
    s3_prefix: pre/
    recreation_rule:
      pgp: NEWPGP
  - path_regex: "("
    vault_path: never/
  - vault_path: kv/
    vault_kv_version: 1
  - path_regex: both
    s3_bucket: b
    gcs_bucket: g
`)
  it("keeps the rules as data", () => {
    expect(c.destinationRules).toHaveLength(4)
    expect(c.destinationRules[2]).toMatchObject({ vaultPath: "kv/", vaultKvVersion: 1, vaultKvMountName: "" })
  })

  it("matches the path as given; an invalid regex never matches", () => {
    const m = c.destinationRuleFor("s3/file.json")
    expect(m.destination.s3Bucket).toBe("bucket")
    expect(ids(m.rule.keyGroups)).toEqual([["pgp NEWPGP"]])
    expect(c.destinationRuleFor("other").destination.vaultPath).toBe("kv/")
  })

  it("rejects a rule with two destinations, and no match", () => {
    const two = cfg("destination_rules:\n  - s3_bucket: b\n    gcs_bucket: g\n")
    expect(errorOf(() => two.destinationRuleFor("x")).code).toBe("ERR_CONFIG")
    expect(errorOf(() => cfg("").destinationRuleFor("x")).message).toBe(
      "error loading config: no matching destination found in config",
    )
  })
})

describe("findConfigFile / loadConfig", () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "sops-config-"))
    await mkdir(join(root, "a/b/c"), { recursive: true })
    await writeFile(join(root, "a/.sops.yaml"), "creation_rules:\n  - path_regex: ^b/\n    pgp: FOUND\n")
    await writeFile(join(root, "a/b/.sops.yml"), "ignored: true\n")
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it("searches upward from the given directory, ignoring .sops.yml with a warning", async () => {
    expect(await findConfigFile(join(root, "a/b/c"))).toBe(join(root, "a/.sops.yaml"))
    const lookup = await lookupConfigFile(join(root, "a/b/c"))
    expect(lookup.warning).toContain(".sops.yml")
    expect(await findConfigFile(join(root, "a"))).toBe(join(root, "a/.sops.yaml"))
  })

  it("returns null when there is none", async () => {
    expect(await findConfigFile(root)).toBeNull()
  })

  it("loads a file and matches paths relative to its directory", async () => {
    const config = await loadConfig(join(root, "a/.sops.yaml"))
    expect(config.path).toBe(join(root, "a/.sops.yaml"))
    expect(ids(config.creationRuleFor(join(root, "a/b/secret.yaml"))!.keyGroups)).toEqual([["pgp FOUND"]])
    expect(errorOf(() => config.creationRuleFor(join(root, "b/secret.yaml"))).code).toBe("ERR_CONFIG")
  })

  it("reports an unreadable file as ERR_CONFIG", async () => {
    await expect(loadConfig(join(root, "missing.yaml"))).rejects.toMatchObject({ code: "ERR_CONFIG" })
  })
})
