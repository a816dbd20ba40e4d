/**
 * Every subcommand of the built executable run as a process: the exact invocations
 * helm-secrets makes, one success per command, and the exit code of each command's main
 * failures (sops' codes, spec 9.4).
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bin, built, runBin } from "./bin-helpers.js"
import { ageKeyPair, tempDir } from "./helpers.js"

if (!built) console.warn(`[skipped] CLI subcommand process tests: ${bin} is not built (run \`npx tsc -b\`)`)

let dir: string
let cleanup: () => void
let kp: { identity: string; recipient: string }
let kp2: { identity: string; recipient: string }

const read = (name: string): string => readFileSync(join(dir, name), "utf8")
const write = (name: string, text: string): void => writeFileSync(join(dir, name), text)
/** Runs sops-ts with the first key pair's identity. */
const withKey = (args: string[], env: Record<string, string> = {}, input?: string) => runBin(dir, args, { SOPS_AGE_KEY: kp.identity, ...env }, input)
const editor = (script: string): string => `sh -c '${script}'`

/** Writes `plain` to `name` and encrypts it in place with the first key pair. */
function encrypted(name: string, plain: string): string {
  write(name, plain)
  const r = runBin(dir, ["encrypt", "-i", "--age", kp.recipient, name])
  expect(r.code, r.err).toBe(0)
  return read(name)
}

describe.skipIf(!built)("sops-ts subcommands as processes", () => {
  beforeAll(async () => {
    ;({ dir, cleanup } = tempDir())
    ;[kp, kp2] = await Promise.all([ageKeyPair(), ageKeyPair()])
  })
  afterAll(() => cleanup?.())

  describe("helm-secrets' exact calls", () => {
    it("encrypt in place, decrypt to --output, decrypt a literal from /dev/stdin, edit without a subcommand", () => {
      write("secrets.yaml", "db:\n    password: hunter2\n")
      const enc = runBin(dir, ["--encrypt", "--input-type", "yaml", "--output-type", "yaml", "--in-place", "secrets.yaml"], { SOPS_AGE_RECIPIENTS: kp.recipient })
      expect(enc.code, enc.err).toBe(0)
      expect(enc.out).toBe("")
      const text = read("secrets.yaml")
      // helm-secrets' own checks: `grep -x 'sops:'` for the type, `mac.*,type:str]` for "is encrypted".
      expect(text).toMatch(/^sops:$/m)
      expect(text).toMatch(/mac.*,type:str\]/)

      const toFile = withKey(["--decrypt", "--input-type", "yaml", "--output-type", "yaml", "--output", "secrets.dec.yaml", "secrets.yaml"])
      expect(toFile.code, toFile.err).toBe(0)
      expect(toFile.out).toBe("")
      expect(read("secrets.dec.yaml")).toBe("db:\n    password: hunter2\n")

      write("lit.json", '{"v": "literal-value"}')
      const encJson = runBin(dir, ["--encrypt", "--input-type", "json", "--output-type", "json", "--output", "lit.enc.json", "lit.json"], { SOPS_AGE_RECIPIENTS: kp.recipient })
      expect(encJson.code, encJson.err).toBe(0)
      const lit = withKey(["--decrypt", "--input-type", "json", "--output-type", "json", "/dev/stdin"], {}, read("lit.enc.json"))
      expect(lit.code, lit.err).toBe(0)
      expect(JSON.parse(lit.out)).toEqual({ v: "literal-value" })

      const edit = withKey(["--input-type", "yaml", "--output-type", "yaml", "secrets.yaml"], { EDITOR: editor('sed -i s/hunter2/changed/ "$0"') })
      expect(edit.code, edit.err).toBe(0)
      expect(withKey(["-d", "secrets.yaml"]).out).toBe("db:\n    password: changed\n")
    })

    it("the short forms -e -i and -d --output", () => {
      write("short.yaml", "k: v\n")
      expect(runBin(dir, ["-e", "-i", "short.yaml"], { SOPS_AGE_RECIPIENTS: kp.recipient }).code).toBe(0)
      const r = withKey(["-d", "--output", "short.out.yaml", "short.yaml"])
      expect(r.code, r.err).toBe(0)
      expect(read("short.out.yaml")).toBe("k: v\n")
    })

    it("fails the way helm-secrets expects: exit codes, one line on stderr, nothing on stdout", () => {
      const stdinGarbage = withKey(["--decrypt", "--input-type", "json", "--output-type", "json", "/dev/stdin"], {}, '{"v": "not encrypted"}')
      expect(stdinGarbage.code).toBe(1)
      expect(stdinGarbage.out).toBe("")
      expect(stdinGarbage.err.trim().split("\n")).toHaveLength(1)
      expect(withKey(["-d", "-i", "--output", "x.yaml", "short.yaml"]).code).toBe(8)
      expect(withKey(["--decrypt", "--input-type", "yaml", "--output-type", "yaml", "missing.yaml"]).code).toBe(100)
      const noKey = runBin(dir, ["-d", "short.yaml"])
      expect(noKey.code).toBe(128)
      expect(noKey.out).toBe("")
    })
  })

  it("decrypt: success, --extract, and its failures (100 missing, 128 no key, 51 MAC, 25 moved value, 91 bad path)", () => {
    encrypted("d.yaml", "a: 1\nb: two\n")
    expect(withKey(["decrypt", "--extract", '["b"]', "d.yaml"]).out).toBe("two")
    expect(withKey(["decrypt", "nope.yaml"]).code).toBe(100)
    expect(runBin(dir, ["decrypt", "d.yaml"]).code).toBe(128)
    expect(withKey(["decrypt", "--extract", "b", "d.yaml"]).code).toBe(91)
    // Dropping a value leaves every other value decryptable, but the MAC no longer matches.
    write("tampered.yaml", read("d.yaml").replace(/^a: .*\n/m, ""))
    expect(withKey(["decrypt", "tampered.yaml"]).code).toBe(51)
    expect(withKey(["decrypt", "--ignore-mac", "tampered.yaml"]).out).toBe("b: two\n")
    // A ciphertext moved to another key fails authentication: its path is part of the AAD.
    const b = /^b: (.*)$/m.exec(read("d.yaml"))![1]!
    write("moved.yaml", read("d.yaml").replace(/^a: .*$/m, `a: ${b}`))
    expect(withKey(["decrypt", "moved.yaml"]).code).toBe(25)
  })

  it("encrypt: 8 for stdin without --filename-override, 203 for an encrypted file, 100 missing", () => {
    const fromStdin = runBin(dir, ["encrypt", "--age", kp.recipient, "--filename-override", "x.yaml"], {}, "a: b\n")
    expect(fromStdin.code, fromStdin.err).toBe(0)
    expect(fromStdin.out).toMatch(/^a: ENC\[/)
    expect(runBin(dir, ["encrypt", "--age", kp.recipient], {}, "a: b\n").code).toBe(8)
    encrypted("e.yaml", "a: b\n")
    expect(runBin(dir, ["encrypt", "--age", kp.recipient, "e.yaml"]).code).toBe(203)
    expect(runBin(dir, ["encrypt", "--age", kp.recipient, "nope.yaml"]).code).toBe(100)
  })

  it("rotate: adds a key with a new data key; 49 for --add-* on a missing file", () => {
    encrypted("r.yaml", "a: b\n")
    const r = withKey(["rotate", "-i", "--add-age", kp2.recipient, "r.yaml"])
    expect(r.code, r.err).toBe(0)
    expect(runBin(dir, ["decrypt", "r.yaml"], { SOPS_AGE_KEY: kp2.identity }).out).toBe("a: b\n")
    expect(withKey(["rotate", "--add-age", kp2.recipient, "nope.yaml"]).code).toBe(49)
  })

  it("edit: saves a change; 200 when nothing changed, 201 when the editor fails", () => {
    encrypted("ed.yaml", "a: b\n")
    expect(withKey(["edit", "ed.yaml"], { EDITOR: editor('echo "a: c" > "$0"') }).code).toBe(0)
    expect(withKey(["decrypt", "ed.yaml"]).out).toBe("a: c\n")
    expect(withKey(["edit", "ed.yaml"], { EDITOR: "true" }).code).toBe(200)
    expect(withKey(["edit", "ed.yaml"], { EDITOR: "false" }).code).toBe(201)
  })

  it("set / unset: change a value in place; 7 for a bad path or value, 1 for a missing key", () => {
    encrypted("s.yaml", "a: b\nc: d\n")
    expect(withKey(["set", "s.yaml", '["a"]', '"new"']).code).toBe(0)
    expect(withKey(["unset", "s.yaml", '["c"]']).code).toBe(0)
    expect(withKey(["decrypt", "s.yaml"]).out).toBe("a: new\n")
    expect(withKey(["set", "s.yaml", "a", '"x"']).code).toBe(7)
    expect(withKey(["set", "s.yaml", '["a"]', "[1]"]).code).toBe(7)
    expect(withKey(["unset", "s.yaml", '["zz"]']).code).toBe(1)
    expect(withKey(["unset", "--idempotent", "s.yaml", '["zz"]']).code).toBe(0)
  })

  it("filestatus: prints sops' JSON; 100 without a file, 1 when it cannot be read", () => {
    encrypted("f.yaml", "a: b\n")
    write("plain.yaml", "a: b\n")
    expect(runBin(dir, ["filestatus", "f.yaml"])).toMatchObject({ code: 0, out: '{"encrypted":true}\n' })
    expect(runBin(dir, ["filestatus", "plain.yaml"])).toMatchObject({ code: 0, out: '{"encrypted":false}\n' })
    expect(runBin(dir, ["filestatus"]).code).toBe(100)
    expect(runBin(dir, ["filestatus", "nope.yaml"]).code).toBe(1)
  })

  it("updatekeys: applies the creation rule's keys with -y; 1 without a config", () => {
    encrypted("u.yaml", "a: b\n")
    expect(withKey(["updatekeys", "-y", "u.yaml"]).code).toBe(1)
    write("sops-config.yaml", `creation_rules:\n  - age: ${kp2.recipient}\n`)
    const r = withKey(["--config", "sops-config.yaml", "updatekeys", "-y", "u.yaml"])
    expect(r.code, r.err).toBe(0)
    expect(runBin(dir, ["decrypt", "u.yaml"], { SOPS_AGE_KEY: kp2.identity }).out).toBe("a: b\n")
    expect(withKey(["decrypt", "u.yaml"]).code).toBe(128)
  })

  it("groups add / delete: add a group in place; 1 for an index out of range", () => {
    encrypted("g.yaml", "a: b\n")
    const add = withKey(["groups", "add", "--file", "g.yaml", "-i", "--age", kp2.recipient])
    expect(add.code, add.err).toBe(0)
    expect(read("g.yaml").match(/recipient: age1/g)).toHaveLength(2)
    expect(withKey(["groups", "delete", "--file", "g.yaml", "5"]).code).toBe(1)
    // Two groups now need both identities (threshold 2); deleting one needs a threshold of 1.
    const both = { SOPS_AGE_KEY: `${kp.identity}\n${kp2.identity}` }
    const impossible = withKey(["groups", "delete", "--file", "g.yaml", "-i", "0"], both)
    expect(impossible.code).toBe(1)
    expect(impossible.err).toContain("Shamir threshold is 2")
    const del = withKey(["groups", "delete", "--file", "g.yaml", "-i", "--shamir-secret-sharing-threshold", "1", "0"], both)
    expect(del.code, del.err).toBe(0)
    expect(runBin(dir, ["decrypt", "g.yaml"], { SOPS_AGE_KEY: kp2.identity }).out).toBe("a: b\n")
  })

  it("keyservice, completion, --version, usage errors", () => {
    expect(runBin(dir, ["keyservice", "--bogus"]).code).toBe(1)
    expect(runBin(dir, ["completion", "bash"]).out).toContain("complete -F _sops_ts sops-ts")
    expect(runBin(dir, ["completion", "fish"]).code).toBe(1)
    expect(runBin(dir, ["--version"])).toMatchObject({ code: 0, out: expect.stringMatching(/^sops 3\.\d+\.\d+ \(sops-ts /) })
    expect(runBin(dir, ["--bogus"]).code).toBe(1)
    expect(runBin(dir, ["decrypt", "--indent", "2", "x.yaml"]).err).toContain("global flag")
    expect(runBin(dir, ["publish", "x.yaml"]).code).toBe(1)
  })
})
