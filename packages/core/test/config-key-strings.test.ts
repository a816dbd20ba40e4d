import { describe, expect, it } from "vitest"
import { SopsError } from "../src/errors.js"
import {
  formatCreatedAt,
  goTrimSpace,
  newAzureKvKey,
  newHckmsKey,
  newKmsKey,
  newVaultKeyFromUri,
  parseAgeRecipients,
  parseAzureKvUrls,
  parseGcpKmsIds,
  parseHckmsIds,
  parseKmsArns,
  parseKmsEncryptionContext,
  parsePgpFingerprints,
  parseVaultUris,
} from "../src/keys/parse-key-strings.js"
import { keyId } from "../src/metadata/model.js"
import { compileGoRegex } from "../src/regex.js"
import { KMS_ARN_PATTERN } from "../src/keys/parse-key-strings.js"

const now = (): Date => new Date("2024-05-01T12:34:56.789Z")
const AT = "2024-05-01T12:34:56Z"

/** The age test vector recipient of sops' age/keysource_test.go. */
const AGE1 = "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun"
/** A plugin recipient (age-plugin-yubikey's README). */
const AGE2 = "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"
/** A post-quantum recipient made with typage's generateHybridIdentity (1959 characters). */
const AGE_PQ = [
  "age1pq13pgv4xgppresjl2suasulp55nv3qtz5c92kw99gvz9hcvq3n5dgrkjdgzuap3jucprx66rq83rujkrszn965g6ead",
  "q8nhxjjzr6eymdmrtmgwy6evjp5p9zt5z59k9m2j7m6z6cahs2fv53l4nmnnks5dal7wu25yk3cjygjdy2nezq42g43x8nj4",
  "gx5qcrd5ryrpy2xensk9syju96az3uxf0993gft8qf625u2ewwfvrydu5ft9u3xg7pm8j0ak290dry0za3hnslypeeddte4a",
  "f8thyjsguvht6gu0ldfsj98hzfuee6vc644sgl8d7cfxdkkcmz5ydtsy9j3us7v0j2adts86sqwl3r8apz9n6ggfy9q54lhj",
  "fjp2ydg5mamxxhvr2lf8shl2c2uwge7v5ucsngxffpnx3yexvjwv2n8r3zuvv5tyrynzeu9vxsnqspyjrvc0kmjjnn8wel6n",
  "s45cq5c2eyvs0mcs79g0pkr7vpy84fy54r6mwxfcegffgv542p5j0rp5dfkqfafgnwtgw4hc4jnmwqjr4pt00w2gwn9n8wvd",
  "2gs4f32dvt9ncyrct8kwu6vvyds43a7u5m5te3vvx8wg0zzf3p9pppcsm9suya8n4eqdzmdxzku22jdtqt252mh2ef2ww58m",
  "tyck5ac9heqmaw2pst6rd5fv58tvv5m08qe2456d7n7x8qc6ztj5yp3kyq6rycvqa9uwkhc2ccfdmpz97f8l9atsu90yeg60",
  "v6meenmlnj99u86r9l3cmshw7r42fz344tyara2nr9tzghsagyex9rjj0t5esue8zfhkkyrrsvv28xdjw38epx9styp56gcx",
  "udr9ey6al9kgw52v8usq5kncks89zttmtuc8mzcg9tlv88gfspa8y4d844jrv0p2snrgf4r6yt5jwpmvks5z626r9hg8dr04",
  "d37972j3ramm34cztcgsxx3gyv3ngnr7fqxk4gsczhpnjnrcd2qulr7dapqcy86d7ppy0kqjeueq9w07ldj84ruc935zunx8",
  "qz0yz9tx5996s44hdz9dfy6vffm4qa2emryf7tsw7gzvnnvp93fezdarhnc4fwnr56yxavnqax2w9ydwv4zdunc94yse8fmw",
  "2y2cuyxlj24tjxnxzap5jk9s2lyn2pn2usnnnshqcz640h5yy8vnznsnl5xwhz6049y9fy8xkv4ss39zdx9fha9gghakvv3s",
  "kj4c33f6nah6v3c5rqee2v65ag4976dxgr2x3v8ddq8pzevkcd4c4wpdzrp0578dcw6ngc5ux4qu3v2vm2vg6g98a2equlaw",
  "c7qzvtpt5y8zg72ja9c30v8uwws8ujc92fn03qjsqxnyrk5n99796s22vwq79lgy94ssm26rwkdx0rdyp793e82rk5fgxqyf",
  "f8d74vex6gvum6n909dwp3sm36aa6rj5avgs3cy07jdctcnds7cda95w0zjqzgfvae4e239766zczz4zpjrat6nn3yjpwnvm",
  "dz02x6khnqvepp5eh5rrtz7sum6xfqmhj5g38zq52d9xaj6twm9lfze9l3f8q8exwmgegzch36mpunpyl49lpem2eqjc2pyz",
  "e9r7anfpat5ruc8cpm0spg903d88vvkk82tv2wtkvdjhq86wch5p7cmv8s8hyzret6c2prf2gsqwsr9t0cmrw785gjxhrnvs",
  "gnx0zzltwykfr2pgfnwhpqcqygkm2xtq2tr9js5zzv4pnnh4zvfptzh5haha94q29xt5pruv2krjk7g8qgzg8v3jc90sv84w",
  "6vqjay2w6y9ehj6rheu48hqe2ueldj7p5q7fmcga8qa5rja44jxpegdnhs3064llscw86wc4uc2nc7skrgan0sjg3xhptjs0",
  "7x4mt45a2ejprfrwnlglrmwcc3ayawe2vu6pg79",
].join("")
const SSH = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDyOlbbmvpDGjdpZ71fLLZ2hSRmFhz5hJfU1lYLLZ0IF user@host"

const ARN = "arn:aws:kms:us-east-1:656532927350:key/920aff2e-c5f1-4040-943a-047fa387b27e"
const ALIAS = "arn:aws:kms:us-east-1:656532927350:alias/my-key"
const ROLE = "arn:aws:iam::927034868273:role/sops-dev-xyz"

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError)
    return (err as SopsError).code
  }
  return undefined
}

describe("formatCreatedAt", () => {
  it("writes RFC 3339 UTC with whole seconds (truncated)", () => {
    expect(formatCreatedAt(new Date("2024-05-01T12:34:56.999Z"))).toBe("2024-05-01T12:34:56Z")
  })
  it("rejects an invalid date", () => {
    expect(codeOf(() => formatCreatedAt(new Date(NaN)))).toBe("ERR_INVALID_ARGUMENT")
  })
})

describe("goTrimSpace", () => {
  it("trims Unicode white space but not the BOM, like Go strings.TrimSpace", () => {
    expect(goTrimSpace(" \t\u00a0x y\n\u3000")).toBe("x y")
    expect(goTrimSpace("\ufeffx")).toBe("\ufeffx")
  })
})

describe("parseAgeRecipients", () => {
  it("splits on commas and trims each recipient", () => {
    expect(parseAgeRecipients(` ${AGE1} ,\n${AGE2}`)).toEqual([
      { type: "age", recipient: AGE1, enc: "" },
      { type: "age", recipient: AGE2, enc: "" },
    ])
  })
  it("accepts X25519, plugin, post-quantum and SSH recipients (SSH comment kept)", () => {
    expect(parseAgeRecipients([AGE1, AGE2, AGE_PQ, SSH]).map((k) => k.recipient)).toEqual([AGE1, AGE2, AGE_PQ, SSH])
  })
  it("returns no keys for an empty string or list", () => {
    expect(parseAgeRecipients("")).toEqual([])
    expect(parseAgeRecipients([])).toEqual([])
  })
  it.each([
    ["a bad checksum", AGE1.slice(0, -1) + "q"],
    ["a bad post-quantum checksum", AGE_PQ.slice(0, -1) + (AGE_PQ.endsWith("q") ? "p" : "q")],
    ["an unknown type", "age-foo"],
    ["an empty item (trailing comma)", `${AGE1},`],
    ["an SSH key type age does not support", "ssh-dss AAAAB3Nz"],
    ["upper case (sops' prefix check is case-sensitive)", AGE1.toUpperCase()],
  ])("rejects %s with ERR_INVALID_ARGUMENT", (_, input) => {
    expect(codeOf(() => parseAgeRecipients(input))).toBe("ERR_INVALID_ARGUMENT")
  })
})

describe("parsePgpFingerprints", () => {
  it("removes every space, keeps case, stamps createdAt", () => {
    const input = "FBC7 B9E2 A4F9 289A C0C1  D484 3D16 CEE4 A273 81B4, 85d77543b3d624b63cea9e6dbc17301b491b3f21"
    expect(parsePgpFingerprints(input, { now })).toEqual([
      { type: "pgp", fp: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", enc: "", createdAt: AT },
      { type: "pgp", fp: "85d77543b3d624b63cea9e6dbc17301b491b3f21", enc: "", createdAt: AT },
    ])
  })
  it("rejects an empty item", () => {
    expect(codeOf(() => parsePgpFingerprints("AAAA,,BBBB"))).toBe("ERR_INVALID_ARGUMENT")
  })
})

describe("parseKmsArns", () => {
  it("parses ARNs, removes spaces and splits the +role suffix", () => {
    expect(parseKmsArns(`${ARN} , ${ALIAS}+${ROLE}`, { now })).toEqual([
      { type: "kms", arn: ARN, role: "", context: {}, awsProfile: "", enc: "", createdAt: AT },
      { type: "kms", arn: ALIAS, role: ROLE, context: {}, awsProfile: "", enc: "", createdAt: AT },
    ])
  })
  it("applies the context and profile to every key", () => {
    const keys = parseKmsArns([ARN, ARN.replace("us-east-1", "eu-west-1")], { context: { app: "x" }, awsProfile: "dev" })
    expect(keys.map((k) => [k.context, k.awsProfile])).toEqual([
      [{ app: "x" }, "dev"],
      [{ app: "x" }, "dev"],
    ])
    expect(keyId(keys[0]!)).toBe(`${ARN}|app:x|dev`)
  })
  it("accepts partition suffixes such as aws-us-gov", () => {
    expect(parseKmsArns("arn:aws-us-gov:kms:us-gov-west-1:123:key/abc")).toHaveLength(1)
  })
  it.each(["foo", "arn:aws:s3:::bucket", "arn:aws:kms:us-east-1:acct:key/x", `${ARN},`, `+${ROLE}`])(
    "rejects %s with ERR_INVALID_ARGUMENT",
    (input) => {
      expect(codeOf(() => parseKmsArns(input))).toBe("ERR_INVALID_ARGUMENT")
    },
  )
  it("newKmsKey accepts exactly the ARNs that sops' Go pattern accepts", () => {
    const go = compileGoRegex(KMS_ARN_PATTERN)
    const inputs = [
      "arn:aws:kms:us-east-1:111122223333:key/abc",
      "arn:aws-us-gov:kms:us-gov-west-1:1:alias/sops",
      "arn:aws:kms:eu-west-1:1:key/a\rb", // Go's "." takes "\r"; a bare JavaScript "." does not
      "arn:aws:kms:eu-west-1:1:key/a\u2028b",
      "arn:aws:kms:eu\r-west-1:1:key/a",
      "arn:aws:kms:eu-west-1:1:key/a\nb",
      "arn:aws:kms:eu-west-1:1:key/ab\n",
      "arn:aws:kms::1:key/a",
      "arn:aws:kms:r:x:key/a",
      "arn:aws:kms:r:1:key/",
      "arn:aws:kms:r:1:keys/a",
      "arn:aws\u00e9:kms:r:1:key/a",
      "arn:aws:kms:r\u00e9:1:key/\u{1F511}",
      "xarn:aws:kms:r:1:key/a",
    ]
    for (const arn of inputs) {
      const accepted = codeOf(() => newKmsKey({ arn })) === undefined
      expect([arn, accepted]).toEqual([arn, go.test(arn)])
    }
  })
  it("newKmsKey copies the context so later edits of the input do not leak in", () => {
    const ctx: Record<string, string> = { a: "1" }
    const key = newKmsKey({ arn: ARN, context: ctx })
    ctx["a"] = "2"
    expect(key.context).toEqual({ a: "1" })
  })
})

describe("parseKmsEncryptionContext", () => {
  it("parses k:v pairs without trimming; the last repeated key wins", () => {
    expect(parseKmsEncryptionContext("a:1, b:2,a:3")).toEqual({ a: "3", " b": "2" })
    expect(parseKmsEncryptionContext("")).toEqual({})
    expect(parseKmsEncryptionContext(":v")).toEqual({ "": "v" })
  })
  it("keeps __proto__ as an ordinary key", () => {
    const ctx = parseKmsEncryptionContext("__proto__:x")
    expect(Object.keys(ctx)).toEqual(["__proto__"])
    expect(Object.getPrototypeOf(ctx)).toBe(Object.prototype)
  })
  it.each(["a", "a:b:c", "a:b,", "a:b,c"])("rejects %j with sops' message", (input) => {
    let caught: unknown
    try {
      parseKmsEncryptionContext(input)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(SopsError)
    expect((caught as SopsError).code).toBe("ERR_INVALID_ARGUMENT")
    expect((caught as SopsError).message).toBe("Invalid KMS encryption context format")
  })
})

describe("parseGcpKmsIds", () => {
  it("removes spaces and keeps each id", () => {
    const id = "projects/p/locations/global/keyRings/r/cryptoKeys/k"
    expect(parseGcpKmsIds(`${id}, ${id} 2`, { now })).toEqual([
      { type: "gcp_kms", resourceId: id, enc: "", createdAt: AT },
      { type: "gcp_kms", resourceId: id + "2", enc: "", createdAt: AT },
    ])
  })
  it("rejects an empty item", () => {
    expect(codeOf(() => parseGcpKmsIds("a,"))).toBe("ERR_INVALID_ARGUMENT")
  })
})

describe("parseAzureKvUrls", () => {
  it("splits vault URL, name and version; items trimmed", () => {
    expect(parseAzureKvUrls(" https://v.vault.azure.net/keys/k1/abc123 ,https://v.vault.azure.net/keys/k2", { now })).toEqual([
      { type: "azure_kv", vaultUrl: "https://v.vault.azure.net", name: "k1", version: "abc123", enc: "", createdAt: AT },
      // No version: kept as "" for the Azure provider to resolve (sops resolves it right away).
      { type: "azure_kv", vaultUrl: "https://v.vault.azure.net", name: "k2", version: "", enc: "", createdAt: AT },
    ])
  })
  it("treats a trailing slash as a missing version", () => {
    expect(parseAzureKvUrls("https://v.vault.azure.net/keys/k/")[0]?.version).toBe("")
  })
  it.each(["http://v/keys/k", "https://v/keys/k/1/2", "https://v/secrets/k", "https://v/keys/k,"])("rejects %s", (input) => {
    expect(codeOf(() => parseAzureKvUrls(input))).toBe("ERR_INVALID_ARGUMENT")
  })
  it("newAzureKvKey keeps fields as given (key_groups entries)", () => {
    expect(keyId(newAzureKvKey("https://v", "k", "", { now }))).toBe("https://v/keys/k/")
  })
})

describe("parseVaultUris", () => {
  it("splits address, engine path and key name", () => {
    expect(parseVaultUris("https://vault.example.org:8200/v1/transit/keys/k1,http://127.0.0.1/v1/a/b/keys/k2", { now })).toEqual([
      {
        type: "hc_vault",
        vaultAddress: "https://vault.example.org:8200",
        enginePath: "transit",
        keyName: "k1",
        enc: "",
        createdAt: AT,
      },
      { type: "hc_vault", vaultAddress: "http://127.0.0.1", enginePath: "a/b", keyName: "k2", enc: "", createdAt: AT },
    ])
  })
  it("skips empty items and lower-cases the scheme", () => {
    expect(parseVaultUris(",HTTPS://v/v1/sops/keys/k,").map(keyId)).toEqual(["https://v/v1/sops/keys/k"])
  })
  it.each([
    ["no scheme", "vault.example.org:8200/v1/transit/keys/k"],
    ["a path prefix", "https://v/vault/v1/transit/keys/k"],
    ["too short a path", "https://v/v1/keys/k"],
    ["a query", "https://v/v1/transit/keys/k?x=1"],
    ["a leading space", " https://v/v1/transit/keys/k"],
  ])("rejects %s", (_, input) => {
    expect(codeOf(() => newVaultKeyFromUri(input))).toBe("ERR_INVALID_ARGUMENT")
  })
})

describe("parseHckmsIds", () => {
  it("trims items, skips empty ones and keeps region:uuid", () => {
    expect(parseHckmsIds(" tr-west-1:abc , ,cn-north-4:def", { now })).toEqual([
      { type: "hckms", keyId: "tr-west-1:abc", enc: "", createdAt: AT },
      { type: "hckms", keyId: "cn-north-4:def", enc: "", createdAt: AT },
    ])
  })
  it.each(["nocolon", ":uuid", "region: "])("rejects %j", (input) => {
    expect(codeOf(() => newHckmsKey(input))).toBe("ERR_INVALID_ARGUMENT")
  })
})
