import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { resolveEncryptConfig, type EncryptConfigInput } from "../src/config/encrypt-config.js"
import { loadConfig } from "../src/config/load.js"
import { parseConfig } from "../src/config/sops-config.js"
import { SopsError } from "../src/errors.js"
import { keyId, type KeyGroup } from "../src/metadata/model.js"

const DIR = resolve("/repo")
const now = (): Date => new Date("2024-01-02T03:04:05Z")
const AGE1 = "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun"
const ARN = "arn:aws:kms:us-east-1:111122223333:key/k1"

function ids(groups: KeyGroup[]): string[][] {
  return groups.map((g) => g.map((k) => `${k.type} ${keyId(k)}`))
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

const config = parseConfig(
  `
creation_rules:
  - path_regex: \\.enc\\.yaml$
    kms: "${ARN}"
    pgp: RULEPGP
    shamir_threshold: 2
    encrypted_regex: ^data$
  - path_regex: ^plain/
    pgp: PLAINPGP
`,
  DIR,
)

const base = (over: Partial<EncryptConfigInput>): EncryptConfigInput => ({
  filePath: join(DIR, "x.enc.yaml"),
  config,
  now,
  ...over,
})

describe("resolveEncryptConfig: keys", () => {
  it("uses the matching rule's groups when no key flag is set", () => {
    const r = resolveEncryptConfig(base({}))
    expect(ids(r.keyGroups)).toEqual([["pgp RULEPGP", `kms ${ARN}`]])
    expect(r.shamirThreshold).toBe(2)
  })

  it("applies --encryption-context to the KMS keys of a flat rule", () => {
    const r = resolveEncryptConfig(base({ encryptionContext: "env:prod" }))
    expect(ids(r.keyGroups)[0]).toContain(`kms ${ARN}|env:prod`)
  })

  it("uses only the flag keys, as one group in sops' flag order, when any key flag is set", () => {
    const r = resolveEncryptConfig(
      base({
        cliKeys: {
          age: AGE1,
          hcVault: "https://v:8200/v1/transit/keys/k",
          pgp: "CLIPGP",
          azureKv: "https://a.vault.azure.net/keys/k/1",
          hckms: "r:u",
          gcpKms: "projects/p/locations/l/keyRings/r/cryptoKeys/k",
          kms: ARN,
        },
        encryptionContext: "a:b",
        awsProfile: "prof",
      }),
    )
    expect(ids(r.keyGroups)).toEqual([
      [
        `kms ${ARN}|a:b|prof`,
        "gcp_kms projects/p/locations/l/keyRings/r/cryptoKeys/k",
        "hckms r:u",
        "azure_kv https://a.vault.azure.net/keys/k/1",
        "pgp CLIPGP",
        "hc_vault https://v:8200/v1/transit/keys/k",
        `age ${AGE1}`,
      ],
    ])
    // The rule's threshold still applies: only the keys come from the flags.
    expect(r.shamirThreshold).toBe(2)
  })

  it("treats empty flag strings as unset", () => {
    const r = resolveEncryptConfig(base({ cliKeys: { age: "", pgp: "" } }))
    expect(ids(r.keyGroups)).toEqual([["pgp RULEPGP", `kms ${ARN}`]])
  })

  it("fails when the config exists but no rule matches, even with key flags", () => {
    const err = errorOf(() => resolveEncryptConfig(base({ filePath: join(DIR, "other.txt"), cliKeys: { age: AGE1 } })))
    expect(err.code).toBe("ERR_CONFIG")
    expect(err.message).toBe("error loading config: no matching creation rules found")
  })

  it("uses flag keys without a config, and fails without either", () => {
    const r = resolveEncryptConfig(base({ config: null, cliKeys: { age: AGE1 } }))
    expect(ids(r.keyGroups)).toEqual([[`age ${AGE1}`]])
    const err = errorOf(() => resolveEncryptConfig(base({ config: null })))
    expect(err.code).toBe("ERR_CONFIG")
    expect(err.message).toBe("config file not found, or has no creation rules, and no keys provided through command line options")
  })

  it("treats a config without creation_rules like no config", () => {
    const noRules = parseConfig("stores:\n  yaml: {indent: 2}\n", DIR)
    expect(errorOf(() => resolveEncryptConfig(base({ config: noRules }))).code).toBe("ERR_CONFIG")
    expect(ids(resolveEncryptConfig(base({ config: noRules, cliKeys: { pgp: "P" } })).keyGroups)).toEqual([["pgp P"]])
  })

  it("rejects a malformed encryption context with sops' message", () => {
    const err = errorOf(() => resolveEncryptConfig(base({ encryptionContext: "novalue" })))
    expect(err.code).toBe("ERR_INVALID_ARGUMENT")
    expect(err.message).toBe("Invalid KMS encryption context format")
  })

  it("rejects a malformed key flag with ERR_INVALID_ARGUMENT", () => {
    expect(errorOf(() => resolveEncryptConfig(base({ cliKeys: { kms: "not-an-arn" } }))).code).toBe("ERR_INVALID_ARGUMENT")
  })

  it("lets a non-zero threshold flag win", () => {
    expect(resolveEncryptConfig(base({ shamirThreshold: 1 })).shamirThreshold).toBe(1)
    expect(resolveEncryptConfig(base({ config: null, cliKeys: { pgp: "P" } })).shamirThreshold).toBe(0)
  })
})

describe("resolveEncryptConfig: options", () => {
  it("takes the rule's option when no flag is set", () => {
    expect(resolveEncryptConfig(base({})).options).toEqual({ encryptedRegex: "^data$" })
  })

  it("lets a non-empty flag override the same option of the rule", () => {
    expect(resolveEncryptConfig(base({ cliOptions: { encryptedRegex: "^x$" } })).options).toEqual({ encryptedRegex: "^x$" })
    expect(resolveEncryptConfig(base({ cliOptions: { encryptedRegex: "" } })).options).toEqual({ encryptedRegex: "^data$" })
  })

  it("fails when a flag and the rule set different options", () => {
    const err = errorOf(() => resolveEncryptConfig(base({ cliOptions: { unencryptedSuffix: "_plain" } })))
    expect(err.code).toBe("ERR_CONFLICTING_OPTIONS")
    expect(err.message).toContain("in the same file")
  })

  it("applies the default _unencrypted suffix when nothing is set", () => {
    const r = resolveEncryptConfig(base({ filePath: join(DIR, "plain/a.yaml") }))
    expect(r.options).toEqual({ unencryptedSuffix: "_unencrypted" })
  })

  it("ORs mac_only_encrypted from flag and rule", () => {
    const c = parseConfig("creation_rules:\n  - pgp: P\n    mac_only_encrypted: true\n", DIR)
    expect(resolveEncryptConfig(base({ config: c })).options.macOnlyEncrypted).toBe(true)
    const off = parseConfig("creation_rules:\n  - pgp: P\n", DIR)
    expect(resolveEncryptConfig(base({ config: off, cliOptions: { macOnlyEncrypted: true } })).options.macOnlyEncrypted).toBe(true)
    expect(resolveEncryptConfig(base({ config: off })).options.macOnlyEncrypted).toBeUndefined()
  })

  it("drops every option for a single-value store, with warnings and no default suffix", () => {
    const r = resolveEncryptConfig(base({ singleValueStore: true, cliOptions: { macOnlyEncrypted: true } }))
    expect(r.options).toEqual({})
    expect(r.warnings).toEqual(["encrypted_regex does not make sense for a single-value store (binary) and is ignored"])
  })
})

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
const functional = join(resolve(repoRoot, "../shared/conformance"), "getsops-sops/functional-tests/.sops.yaml")
const hasFunctional = existsSync(functional)
if (!hasFunctional) console.log(`skipping functional-tests .sops.yaml tests: ${functional} not found`)

describe.skipIf(!hasFunctional)("sops functional-tests/.sops.yaml (read in place)", () => {
  const dir = join(functional, "..")
  const FP1 = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4"

  it("gives two PGP groups for the key-groups round trip", async () => {
    const c = await loadConfig(functional)
    const r = resolveEncryptConfig({ filePath: join(dir, "test_roundtrip_keygroups.yaml"), config: c, now })
    expect(ids(r.keyGroups)).toEqual([[`pgp ${FP1}`], ["pgp D7229043384BCC60326C6FB9D8720D957C3D3074"]])
    expect(r.options).toEqual({ unencryptedSuffix: "_unencrypted" })
  })

  it("gives one empty group for the no-keys, zero-groups and empty-group rules", async () => {
    const c = await loadConfig(functional)
    for (const name of ["test_no_keygroups.yaml", "test_zero_keygroups.yaml", "test_empty_keygroup.yaml"]) {
      expect(c.creationRuleFor(join(dir, name))?.keyGroups).toEqual([[]])
    }
  })

  it("falls through to the catch-all PGP rule", async () => {
    const c = await loadConfig(functional)
    expect(ids(c.creationRuleFor(join(dir, "res/plainfile.yaml"))!.keyGroups)).toEqual([[`pgp ${FP1}`]])
  })

  it("keeps destination rules and ignores the unknown reencryption_rule key", async () => {
    const c = await loadConfig(functional)
    const s3 = c.destinationRuleFor("test_encrypt_publish_s3.json")
    expect(s3.destination).toMatchObject({ s3Bucket: "sops-publish-functional-tests", s3Prefix: "functional-test/" })
    expect(s3.rule.keyGroups).toEqual([[]])
    const v1 = c.destinationRuleFor("test_encrypt_publish_vault_version_1.json").destination
    expect(v1).toMatchObject({ vaultPath: "functional-test-version-1/", vaultKvMountName: "kv/", vaultKvVersion: 1 })
  })
})
