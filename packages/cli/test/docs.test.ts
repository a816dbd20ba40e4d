/**
 * docs/cli.md is generated from the real --help output; these tests fail when it drifts.
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { describe, expect, it } from "vitest"
import { ExitCode } from "../src/exit-codes.js"
import { COMMAND_FLAGS, GLOBAL_FLAGS } from "../src/flags.js"
import { COMMANDS } from "../src/help.js"
import { MOUNTED } from "../src/commands/mounted.js"
import { subcommandNames } from "../src/main.js"
import { HELP_INVOCATIONS, renderCliReference } from "../src/reference.js"
import { built, pkgRoot, runBin } from "./bin-helpers.js"
import { run, tempDir } from "./helpers.js"

const docPath = resolve(pkgRoot, "../../docs/cli.md")

/** The --help output of an in-process run with an empty environment. */
async function helpOf(argv: readonly string[]): Promise<string> {
  const { dir, cleanup } = tempDir()
  try {
    const r = await run([...argv], { cwd: dir, env: { PATH: undefined, HOME: undefined } })
    expect(r.code, `${argv.join(" ")}: ${r.stderr}`).toBe(0)
    return r.out
  } finally {
    cleanup()
  }
}

describe("docs/cli.md", () => {
  it("is exactly what the current --help output generates (regenerate: node tools/gen-cli-docs.mjs)", async () => {
    const expected = await renderCliReference(helpOf)
    expect(readFileSync(docPath, "utf8"), "docs/cli.md is out of date: run `npx tsc -b && node tools/gen-cli-docs.mjs`").toBe(expected)
  })

  it("has a help entry for every subcommand the CLI dispatches", () => {
    expect(Object.keys(COMMANDS).sort()).toEqual(subcommandNames().sort())
  })

  it("covers every subcommand, every exit code and every flag-bound environment variable", () => {
    const doc = readFileSync(docPath, "utf8")
    for (const name of Object.keys(COMMANDS)) expect(doc, name).toContain(`### \`sops-ts ${name}\``)
    for (const [name, code] of Object.entries(ExitCode)) expect(doc, name).toContain(`| ${code} | ${name} |`)
    for (const spec of [...GLOBAL_FLAGS, ...Object.values(COMMAND_FLAGS).flat()]) {
      if (spec.env !== undefined) expect(doc, spec.env).toContain(`| \`${spec.env}\` |`)
    }
    expect(doc).toContain("HELM_SECRETS_SOPS_PATH")
  })

  it("shows, for each subcommand, its own flags in its --help", async () => {
    for (const name of Object.keys(COMMANDS)) {
      if (MOUNTED[name] !== undefined) continue // parses and documents its own flags
      const help = await helpOf([...name.split(" "), "--help"])
      expect(help, name).toContain(`sops-ts ${COMMANDS[name]!.usage}`)
      for (const spec of COMMAND_FLAGS[name] ?? []) expect(help, `${name} --${spec.name}`).toContain(`--${spec.name}`)
    }
    // `help <command>` prints the same text as `<command> --help`.
    expect(await helpOf(["help", "groups", "add"])).toBe(await helpOf(["groups", "add", "--help"]))
    for (const name of Object.keys(MOUNTED)) expect(await helpOf(["help", name]), name).toBe(await helpOf([name, "--help"]))
    expect(await helpOf(["decrypt", "-h"])).toBe(await helpOf(["decrypt", "--help"]))
  })

  it.skipIf(!built)("matches the --help output of the built executable", async () => {
    const { dir, cleanup } = tempDir()
    try {
      for (const argv of HELP_INVOCATIONS) {
        const r = runBin(dir, argv)
        expect(r.code, r.err).toBe(0)
        expect(r.out, argv.join(" ")).toBe(await helpOf(argv))
      }
    } finally {
      cleanup()
    }
  })
})
