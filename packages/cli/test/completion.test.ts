import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { FlagSpec } from "../src/args.js"
import { COMMAND_FLAGS, GLOBAL_FLAGS } from "../src/flags.js"
import { COMMANDS } from "../src/help.js"
import { run, tempDir } from "./helpers.js"

let dir: string
let cleanup: () => void
let bashScript: string
let zshScript: string

const hasTool = (tool: string): boolean => spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0
const haveZsh = hasTool("zsh")
if (!haveZsh) console.warn("[skipped] zsh completion checks: zsh is not installed")

const spell = (s: FlagSpec): string[] => [s.name, ...(s.aliases ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`))

/** Completes the last word of `words` (typed after `sops-ts`) with the bash script, in an empty directory. */
function completeBash(words: string[]): string[] {
  const script = join(dir, "sops-ts.bash")
  const quoted = ["sops-ts", ...words].map((w) => `'${w}'`).join(" ")
  const r = spawnSync("bash", ["-c", `source ${script}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; _sops_ts; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    cwd: join(dir, "empty"),
    encoding: "utf8",
  })
  expect(r.status, r.stderr).toBe(0)
  return r.stdout.split("\n").filter((l) => l !== "")
}

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir())
  spawnSync("mkdir", [join(dir, "empty")])
  const bash = await run(["completion", "bash"], { cwd: dir })
  const zsh = await run(["completion", "zsh"], { cwd: dir })
  expect(bash.code, bash.stderr).toBe(0)
  expect(zsh.code, zsh.stderr).toBe(0)
  bashScript = bash.out
  zshScript = zsh.out
  writeFileSync(join(dir, "sops-ts.bash"), bashScript)
  writeFileSync(join(dir, "sops-ts.zsh"), zshScript)
})
afterAll(() => cleanup())

describe("completion bash", () => {
  it("is valid bash and registers the completion function", () => {
    const r = spawnSync("bash", ["-n", join(dir, "sops-ts.bash")], { encoding: "utf8" })
    expect(r.status, r.stderr).toBe(0)
    const reg = spawnSync("bash", ["-c", `source ${join(dir, "sops-ts.bash")}; complete -p sops-ts`], { encoding: "utf8" })
    expect(reg.stdout.trim()).toBe("complete -F _sops_ts sops-ts")
  })

  it("completes subcommand names", () => {
    expect(completeBash(["dec"])).toEqual(["decrypt"])
    expect(completeBash(["exec-"]).sort()).toEqual(["exec-env", "exec-file"])
    expect(completeBash(["groups", ""]).sort()).toEqual(["add", "delete"])
    expect(completeBash(["completion", ""]).sort()).toEqual(["bash", "zsh"])
    // Global flags (and their values) before the subcommand are skipped over.
    expect(completeBash(["--config", "x.yaml", "upd"])).toEqual(["updatekeys"])
  })

  it("offers exactly each subcommand's own flags, from the same table as --help", () => {
    for (const name of Object.keys(COMMANDS)) {
      const offered = completeBash([...name.split(" "), "-"]).sort()
      expect(offered, name).toEqual((COMMAND_FLAGS[name] ?? []).flatMap(spell).sort())
    }
    expect(completeBash(["-"]).sort()).toEqual(GLOBAL_FLAGS.flatMap(spell).sort())
    expect(completeBash(["decrypt", "--in"]).sort()).toEqual(["--in-place", "--input-type"])
  })

  it("completes format names after --input-type/--output-type, and file names elsewhere", () => {
    expect(completeBash(["decrypt", "--input-type", ""]).sort()).toEqual(["binary", "dotenv", "ini", "json", "yaml"])
    expect(completeBash(["-d", "--output-type", "y"])).toEqual(["yaml"])
    writeFileSync(join(dir, "empty", "secrets.enc.yaml"), "")
    expect(completeBash(["decrypt", "--output", "sec"])).toEqual(["secrets.enc.yaml"])
    expect(completeBash(["decrypt", "--ignore-mac", "sec"])).toEqual(["secrets.enc.yaml"])
    expect(completeBash(["sec"])).toEqual(["secrets.enc.yaml"])
  })
})

describe("completion zsh", () => {
  it("names the command for compinit", () => {
    expect(zshScript.startsWith("#compdef sops-ts\n")).toBe(true)
  })

  it.skipIf(!haveZsh)("is valid zsh", () => {
    const r = spawnSync("zsh", ["-n", join(dir, "sops-ts.zsh")], { encoding: "utf8" })
    expect(r.status, r.stderr).toBe(0)
  })

  it.skipIf(!haveZsh)("describes the subcommand's flags, with their help, and registers with compdef", () => {
    // zsh's completion builtins only work inside a completion widget; stand-ins record calls.
    const stubs = `compdef() { print -r -- "compdef $*" }
_describe() { local arr=\${@[-1]}; print -rl -- "\${(@P)arr}" }
compadd() { shift; print -rl -- "$@" }
_files() { print -r -- "<files>" }`
    const complete = (words: string[]): string[] => {
      const quoted = ["sops-ts", ...words].map((w) => `'${w}'`).join(" ")
      const r = spawnSync("zsh", ["-fc", `${stubs}; source ${join(dir, "sops-ts.zsh")}; words=(${quoted}); CURRENT=${words.length + 1}; _sops_ts`], { encoding: "utf8" })
      expect(r.status, r.stderr).toBe(0)
      const lines = r.stdout.split("\n").filter((l) => l !== "")
      expect(lines[0]).toBe("compdef _sops_ts sops-ts")
      return lines.slice(1)
    }
    const flags = complete(["decrypt", "--"])
    expect(flags).toContain("--input-type:currently json, yaml, dotenv, ini and binary are supported. If not set, the file's extension decides")
    expect(flags.map((l) => l.split(":")[0]).sort()).toEqual(COMMAND_FLAGS["decrypt"]!.flatMap(spell).sort())
    expect(complete(["dec"])).toContain("decrypt:decrypt a file and print the result (stdin when no file is given)")
    expect(complete(["completion", "-"])).toEqual(["--help:show help", "-h:show help"])
    expect(complete(["encrypt", "--output-type", ""])).toEqual(["json", "yaml", "dotenv", "ini", "binary"])
  })
})

describe("completion", () => {
  it("refuses other shells with exit 1", async () => {
    const r = await run(["completion", "fish"], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("bash or zsh")
    expect((await run(["completion"], { cwd: dir })).code).toBe(1)
  })

  it("lists keyservice's flags as that command's own --help does", async () => {
    const help = (await run(["keyservice", "--help"], { cwd: dir })).out
    for (const flag of COMMAND_FLAGS["keyservice"]!.flatMap(spell)) expect(help, flag).toMatch(new RegExp(`(^|[ ,])${flag}\\b`, "m"))
  })
})
