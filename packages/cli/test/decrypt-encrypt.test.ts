import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ageKeyPair, run, tempDir } from "./helpers.js"

let dir: string
let cleanup: () => void
let kp: { identity: string; recipient: string }
let kp2: { identity: string; recipient: string }
const withKey = (): Record<string, string> => ({ SOPS_AGE_KEY: kp.identity })
const write = (name: string, text: string | Uint8Array): string => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  kp = await ageKeyPair()
  kp2 = await ageKeyPair()
})
afterAll(() => cleanup())

async function encryptTo(name: string, plain: string, extra: string[] = []): Promise<string> {
  write(`plain-${name}`, plain)
  const r = await run(["encrypt", "--age", kp.recipient, ...extra, "--filename-override", name, `plain-${name}`], { cwd: dir })
  expect(r.stderr).toBe("")
  expect(r.code).toBe(0)
  write(name, r.stdout)
  return r.out
}

describe("encrypt and decrypt", () => {
  it("round-trips YAML byte for byte and encrypts every value", async () => {
    const plain = "a: hello\nb: 1\nc:\n    - x\n    - 2.5\n"
    const enc = await encryptTo("rt.yaml", plain)
    expect(enc).not.toContain("hello")
    expect(enc).toMatch(/^sops:$/m)
    const dec = await run(["decrypt", "rt.yaml"], { cwd: dir, env: withKey() })
    expect(dec.code).toBe(0)
    expect(dec.out).toBe(plain)
  })

  it("round-trips JSON, dotenv and INI (format from the file name)", async () => {
    for (const [name, plain] of [
      ["rt.json", '{\n\t"a": "b",\n\t"n": 1\n}\n'],
      ["rt.env", "A=b\nC=d\n"],
      ["rt.ini", "[s]\nkey = value\n"],
    ] as const) {
      await encryptTo(name, plain)
      const dec = await run(["decrypt", name], { cwd: dir, env: withKey() })
      expect(dec.code, name + dec.stderr).toBe(0)
      expect(dec.out).toBe(plain)
    }
  })

  it("takes recipients from SOPS_AGE_RECIPIENTS", async () => {
    write("env-rcpt.yaml", "k: v\n")
    const r = await run(["encrypt", "env-rcpt.yaml"], { cwd: dir, env: { SOPS_AGE_RECIPIENTS: kp2.recipient } })
    expect(r.code).toBe(0)
    expect(r.out).toContain(kp2.recipient)
  })

  it("converts formats with --output-type", async () => {
    await encryptTo("conv.yaml", "a: b\n")
    const r = await run(["decrypt", "--output-type", "json", "conv.yaml"], { cwd: dir, env: withKey() })
    expect(r.code).toBe(0)
    expect(r.out).toBe('{\n\t"a": "b"\n}\n')
  })

  it("honours --indent for the output store and stores: indent from .sops.yaml", async () => {
    const { dir: d, cleanup: c } = tempDir()
    try {
      writeFileSync(join(d, ".sops.yaml"), `creation_rules:\n  - age: ${kp.recipient}\nstores:\n  json:\n    indent: 2\n`)
      writeFileSync(join(d, "x.yaml"), "a:\n    b: c\n")
      const enc = await run(["encrypt", "x.yaml"], { cwd: d })
      expect(enc.code, enc.stderr).toBe(0)
      writeFileSync(join(d, "x.enc.yaml"), enc.stdout)
      const json = await run(["decrypt", "--output-type", "json", "x.enc.yaml"], { cwd: d, env: withKey() })
      expect(json.out).toBe('{\n  "a": {\n    "b": "c"\n  }\n}\n')
      const yaml = await run(["--indent", "2", "decrypt", "x.enc.yaml"], { cwd: d, env: withKey() })
      expect(yaml.out).toBe("a:\n  b: c\n")
    } finally {
      c()
    }
  })

  it("writes --output files and -i in place (mode kept)", async () => {
    const p = write("inplace.yaml", "s: secret\n")
    chmodSync(p, 0o640)
    const enc = await run(["encrypt", "-i", "--age", kp.recipient, "inplace.yaml"], { cwd: dir })
    expect(enc.code).toBe(0)
    expect(enc.out).toBe("")
    expect(readFileSync(p, "utf8")).toContain("ENC[AES256_GCM")
    expect(statSync(p).mode & 0o777).toBe(0o640)
    const out = await run(["decrypt", "--output", "out.yaml", "inplace.yaml"], { cwd: dir, env: withKey() })
    expect(out.code).toBe(0)
    expect(readFileSync(join(dir, "out.yaml"), "utf8")).toBe("s: secret\n")
    const back = await run(["decrypt", "--in-place", "inplace.yaml"], { cwd: dir, env: withKey() })
    expect(back.code).toBe(0)
    expect(readFileSync(p, "utf8")).toBe("s: secret\n")
  })

  it("reads stdin: no file means binary, '-' too, /dev/stdin with --input-type", async () => {
    const enc = await encryptTo("stdin.yaml", "x: z\n")
    const viaYaml = await run(["decrypt", "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"], { cwd: dir, env: withKey(), stdin: enc })
    expect(viaYaml.code, viaYaml.stderr).toBe(0)
    expect(viaYaml.out).toBe("x: z\n")
    const dash = await run(["decrypt", "--input-type", "yaml", "--output-type", "yaml", "-"], { cwd: dir, env: withKey(), stdin: enc })
    expect(dash.out).toBe("x: z\n")
    // Without a type, stdin is the binary store: a YAML file has no "data" key there.
    const bin = await run(["decrypt"], { cwd: dir, env: withKey(), stdin: enc })
    expect(bin.code).not.toBe(0)
  })

  it("encrypts and decrypts binary data through stdin with --filename-override", async () => {
    const data = new Uint8Array([0, 1, 2, 255, 254, 10])
    const enc = await run(["encrypt", "--age", kp.recipient, "--filename-override", "blob.bin"], { cwd: dir, stdin: data })
    expect(enc.code, enc.stderr).toBe(0)
    expect(enc.out).toContain('"data": "ENC[')
    const dec = await run(["decrypt"], { cwd: dir, env: withKey(), stdin: enc.stdout })
    expect(dec.code).toBe(0)
    expect([...dec.stdout]).toEqual([...data])
  })

  it("--extract prints a string leaf raw, a number as its YAML, a mapping as a document", async () => {
    await encryptTo("ex.yaml", 'a:\n    s: "multi\\nline"\n    n: 5\n    m:\n        k: v\n')
    const s = await run(["decrypt", "--extract", '["a"]["s"]', "ex.yaml"], { cwd: dir, env: withKey() })
    expect(s.out).toBe("multi\nline")
    const n = await run(["decrypt", "--extract", "['a']['n']", "ex.yaml"], { cwd: dir, env: withKey() })
    expect(n.out).toBe("5\n")
    const m = await run(["decrypt", "--extract", '["a"]["m"]', "ex.yaml"], { cwd: dir, env: withKey() })
    expect(m.out).toBe("k: v\n")
  })
})

describe("exit codes", () => {
  it("100 for a file that does not exist", async () => {
    const r = await run(["decrypt", "nope.yaml"], { cwd: dir })
    expect(r.code).toBe(100)
    expect(r.stderr).toContain("non-existent file")
    expect((await run(["encrypt", "--age", kp.recipient, "nope.yaml"], { cwd: dir })).code).toBe(100)
  })

  it("91 for a malformed --extract path, 1 for a missing one", async () => {
    await encryptTo("ex2.yaml", "a: b\n")
    expect((await run(["decrypt", "--extract", '["a"', "ex2.yaml"], { cwd: dir, env: withKey() })).code).toBe(91)
    const missing = await run(["decrypt", "--extract", '["zz"]', "ex2.yaml"], { cwd: dir, env: withKey() })
    expect(missing.code).toBe(1)
  })

  it("128 when no key opens the file, with the key that was tried", async () => {
    await encryptTo("nokey.yaml", "a: b\n")
    const r = await run(["decrypt", "nokey.yaml"], { cwd: dir, env: { SOPS_AGE_KEY: kp2.identity } })
    expect(r.code).toBe(128)
    expect(r.stderr).toContain(kp.recipient)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it("51 on a MAC mismatch, bypassed by --ignore-mac", async () => {
    const enc = await encryptTo("mac.yaml", "a: b\nc: d\n")
    // Swap the two encrypted values: each still authenticates (same AAD? no: different keys),
    // so instead drop one item, which leaves every remaining value valid but the MAC stale.
    const tampered = enc.split("\n").filter((l) => !l.startsWith("c: ")).join("\n")
    write("mac.yaml", tampered)
    const r = await run(["decrypt", "mac.yaml"], { cwd: dir, env: withKey() })
    expect(r.code).toBe(51)
    const ok = await run(["decrypt", "--ignore-mac", "mac.yaml"], { cwd: dir, env: withKey() })
    expect(ok.code).toBe(0)
    expect(ok.out).toBe("a: b\n")
  })

  it("25 when a value does not authenticate", async () => {
    const enc = await encryptTo("tag.yaml", "a: bbbb\n")
    write("tag.yaml", enc.replace(/(a: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === "A" ? "B" : "A")))
    expect((await run(["decrypt", "tag.yaml"], { cwd: dir, env: withKey() })).code).toBe(25)
  })

  it("203 for an already encrypted file, 92 for an empty one", async () => {
    await encryptTo("twice.yaml", "a: b\n")
    const r = await run(["encrypt", "--age", kp.recipient, "twice.yaml"], { cwd: dir })
    expect(r.code).toBe(203)
    write("empty.yaml", "")
    expect((await run(["encrypt", "--age", kp.recipient, "empty.yaml"], { cwd: dir })).code).toBe(92)
  })

  it("8 for conflicting parameters", async () => {
    write("c.yaml", "a: b\n")
    expect((await run(["encrypt", "-i", "--output", "x", "--age", kp.recipient, "c.yaml"], { cwd: dir })).code).toBe(8)
    expect((await run(["encrypt", "--age", kp.recipient], { cwd: dir, stdin: "a: b\n" })).code).toBe(8)
    expect((await run(["decrypt", "-i"], { cwd: dir, stdin: "a: b\n" })).code).toBe(8)
    expect((await run(["encrypt", "--age", kp.recipient, "--encrypted-regex", "a", "--unencrypted-regex", "b", "c.yaml"], { cwd: dir })).code).toBe(8)
  })

  it("2 when the plaintext cannot be parsed", async () => {
    write("bad.json", "{not json")
    expect((await run(["encrypt", "--age", kp.recipient, "bad.json"], { cwd: dir })).code).toBe(2)
  })

  it("112 for a duplicate decryption order entry", async () => {
    await encryptTo("ord.yaml", "a: b\n")
    const r = await run(["decrypt", "--decryption-order", "age,pgp,age", "ord.yaml"], { cwd: dir, env: withKey() })
    expect(r.code).toBe(112)
    const env = await run(["decrypt", "ord.yaml"], { cwd: dir, env: { ...withKey(), SOPS_DECRYPTION_ORDER: "pgp,age" } })
    expect(env.code).toBe(0)
  })

  it("1 when no keys are given and there is no config", async () => {
    write("nokeys.yaml", "a: b\n")
    const r = await run(["encrypt", "nokeys.yaml"], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("no keys provided")
  })

  it("1 for an unknown flag, with a hint for global-only flags", async () => {
    const r = await run(["decrypt", "--config", "x", "a.yaml"], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("global flag")
    expect((await run(["decrypt", "--bogus", "a.yaml"], { cwd: dir })).code).toBe(1)
  })

  it("6 for a malformed --encryption-context", async () => {
    write("ctx.yaml", "a: b\n")
    expect((await run(["encrypt", "--age", kp.recipient, "--encryption-context", "nocolon", "ctx.yaml"], { cwd: dir })).code).toBe(6)
  })
})

describe(".sops.yaml", () => {
  it("is discovered upward from cwd and matches path_regex relative to its directory", async () => {
    const { dir: d, cleanup: c } = tempDir()
    try {
      writeFileSync(join(d, ".sops.yaml"), `creation_rules:\n  - path_regex: ^sub/.*\\.yaml$\n    age: ${kp2.recipient}\n    encrypted_regex: ^secret$\n`)
      const { mkdirSync } = await import("node:fs")
      mkdirSync(join(d, "sub"))
      writeFileSync(join(d, "sub", "f.yaml"), "secret: s\nopen: o\n")
      const r = await run(["encrypt", "f.yaml"], { cwd: join(d, "sub") })
      expect(r.code, r.stderr).toBe(0)
      expect(r.out).toContain(kp2.recipient)
      expect(r.out).toContain("open: o")
      expect(r.out).toContain("encrypted_regex: ^secret$")
      writeFileSync(join(d, "other.json"), "{}")
      const nomatch = await run(["encrypt", "other.json"], { cwd: d })
      expect(nomatch.code).toBe(1)
      expect(nomatch.stderr).toContain("no matching creation rules")
      // A non-matching config aborts even with keys on the command line.
      expect((await run(["encrypt", "--age", kp.recipient, "other.json"], { cwd: d })).code).toBe(1)
    } finally {
      c()
    }
  })

  it("--config and SOPS_CONFIG point at a config elsewhere", async () => {
    const cfg = write("elsewhere.sops.yaml", `creation_rules:\n  - age: ${kp2.recipient}\n`)
    write("cf.yaml", "a: b\n")
    const r = await run(["--config", cfg, "encrypt", "cf.yaml"], { cwd: dir })
    expect(r.code, r.stderr).toBe(0)
    expect(r.out).toContain(kp2.recipient)
    const e = await run(["encrypt", "cf.yaml"], { cwd: dir, env: { SOPS_CONFIG: cfg } })
    expect(e.out).toContain(kp2.recipient)
  })
})

describe("legacy flag form", () => {
  it("supports -e -i, -d, --output and /dev/stdin as helm-secrets calls them", async () => {
    const p = write("legacy.yaml", "pw: hunter2\n")
    const e = await run(["--encrypt", "--input-type", "yaml", "--output-type", "yaml", "--in-place", "legacy.yaml"], {
      cwd: dir,
      env: { SOPS_AGE_RECIPIENTS: kp.recipient },
    })
    expect(e.code, e.stderr).toBe(0)
    const enc = readFileSync(p, "utf8")
    expect(enc).toMatch(/^    mac: ENC\[.*,type:str\]$/m)
    const d = await run(["-d", "legacy.yaml"], { cwd: dir, env: withKey() })
    expect(d.out).toBe("pw: hunter2\n")
    const o = await run(["--decrypt", "--output", "legacy.out", "legacy.yaml"], { cwd: dir, env: withKey() })
    expect(o.code).toBe(0)
    expect(readFileSync(join(dir, "legacy.out"), "utf8")).toBe("pw: hunter2\n")
    const s = await run(["--decrypt", "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"], { cwd: dir, env: withKey(), stdin: enc })
    expect(s.out).toBe("pw: hunter2\n")
  })

  it("exit 100 without a file, 49 for --add-* on a missing file", async () => {
    expect((await run([], { cwd: dir })).code).toBe(100)
    expect((await run(["-r", "--add-age", kp.recipient, "missing.yaml"], { cwd: dir })).code).toBe(49)
    expect((await run(["-d", "missing.yaml"], { cwd: dir })).code).toBe(100)
  })
})

describe("help and version", () => {
  it("prints the version in sops' format", async () => {
    const r = await run(["--version"], { cwd: dir })
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^sops 3\.13\.\d+ \(sops-ts /)
  })

  it("prints help for the top level and every subcommand", async () => {
    expect((await run(["--help"], { cwd: dir })).out).toContain("COMMANDS:")
    for (const cmd of ["decrypt", "encrypt", "rotate", "edit", "set", "unset", "filestatus", "updatekeys", "exec-env", "exec-file"]) {
      const r = await run([cmd, "--help"], { cwd: dir })
      expect(r.code).toBe(0)
      expect(r.out).toContain(`sops-ts ${cmd}`)
    }
    expect((await run(["groups", "add", "--help"], { cwd: dir })).out).toContain("groups add")
  })
})
