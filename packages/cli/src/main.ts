/**
 * The `sops-ts` command line: argument dispatch, error reporting and exit codes. Never
 * throws; returns the process exit code.
 * @module
 */
import { SopsError } from "@sops-ts/core"
import { parseArgs, type Flags } from "./args.js"
import { makeContext, type CommandContext, type ContextOptions } from "./context.js"
import { ChildExit, CliError, ExitCode, exitCodeFor } from "./exit-codes.js"
import { COMMAND_FLAGS, GLOBAL_FLAGS, GLOBAL_ONLY } from "./flags.js"
import { commandHelp, topHelp } from "./help.js"
import { say, type CliIo } from "./io.js"
import { versionText } from "./version.js"
import { decryptCommand } from "./commands/decrypt.js"
import { encryptCommand } from "./commands/encrypt.js"
import { rotateCommand } from "./commands/rotate.js"
import { setCommand, unsetCommand } from "./commands/set.js"
import { filestatusCommand } from "./commands/filestatus.js"
import { updatekeysCommand } from "./commands/updatekeys.js"
import { groupsAddCommand, groupsDeleteCommand } from "./commands/groups.js"
import { execEnvCommand, execFileCommand } from "./commands/exec.js"
import { editCommand } from "./commands/edit.js"
import { legacyCommand } from "./commands/legacy.js"
import { MOUNTED } from "./commands/mounted.js"
import { completionCommand } from "./completion.js"

export type { CliIo, CliWritable } from "./io.js"

type Handler = (ctx: CommandContext) => Promise<number>

const HANDLERS: Readonly<Record<string, Handler>> = {
  decrypt: decryptCommand,
  encrypt: encryptCommand,
  rotate: rotateCommand,
  edit: editCommand,
  set: setCommand,
  unset: unsetCommand,
  filestatus: filestatusCommand,
  updatekeys: updatekeysCommand,
  "exec-env": execEnvCommand,
  "exec-file": execFileCommand,
  "groups add": groupsAddCommand,
  "groups delete": groupsDeleteCommand,
  completion: completionCommand,
}

const UNSUPPORTED = new Set(["publish"])

/**
 * Every subcommand `main` dispatches, its own and those mounted from other packages (`groups
 * add` and `groups delete` as two names); a test checks each has help, docs and completion.
 */
export function subcommandNames(): string[] {
  return [...Object.keys(HANDLERS), ...Object.keys(MOUNTED)]
}

function globalOnlyHint(name: string): string | undefined {
  return GLOBAL_ONLY.has(name) ? `--${name} is a global flag: put it before the subcommand` : undefined
}

/**
 * Runs the CLI.
 * @param argv - the arguments after the program name
 * @param io - streams, environment and working directory
 * @param options - test hooks (module loader for provider packages)
 * @returns the exit code (sops' codes, section 9.4 of the spec)
 */
export async function main(argv: readonly string[], io: CliIo, options: ContextOptions = {}): Promise<number> {
  let verbose = argv.includes("--verbose") || argv.includes("-verbose")
  try {
    const top = parseArgs(argv, GLOBAL_FLAGS, io.env)
    const global = top.flags
    verbose ||= global.bool("verbose")
    if (global.bool("version")) {
      io.stdout.write(versionText())
      return ExitCode.Ok
    }
    let rest = top.positionals
    let name = rest[0]
    if (name === "help") {
      const mountedHelp = rest[1] === undefined ? undefined : MOUNTED[rest[1]]
      if (mountedHelp !== undefined) return await mountedHelp(["--help"], io)
      io.stdout.write(rest[1] ? commandHelp(rest[1] === "groups" && rest[2] ? `groups ${rest[2]}` : rest[1]) : topHelp())
      return ExitCode.Ok
    }
    if (global.bool("help")) {
      io.stdout.write(topHelp())
      return ExitCode.Ok
    }
    if (name === "groups") {
      const sub = rest[1]
      if (sub !== "add" && sub !== "delete") {
        io.stdout.write(commandHelp("groups add") + "\n" + commandHelp("groups delete"))
        return sub === undefined || sub === "help" ? ExitCode.Ok : ExitCode.ErrorGeneric
      }
      name = `groups ${sub}`
      rest = rest.slice(1)
    }
    const mounted = name === undefined ? undefined : MOUNTED[name]
    if (mounted !== undefined) return await mounted(rest.slice(1), io)
    if (name !== undefined && UNSUPPORTED.has(name)) {
      throw new CliError(`the "${name}" command is not implemented by sops-ts`, ExitCode.ErrorGeneric)
    }
    const handler = name === undefined ? undefined : HANDLERS[name]
    if (handler === undefined || name === undefined) {
      // Legacy form: `sops [flags] file`.
      return await legacyCommand(makeContext(io, global, global, rest, options))
    }
    const parsed = parseArgs(rest.slice(1), COMMAND_FLAGS[name] ?? [], io.env, globalOnlyHint)
    verbose ||= parsed.flags.bool("verbose")
    if (parsed.flags.bool("help")) {
      io.stdout.write(commandHelp(name))
      return ExitCode.Ok
    }
    return await handler(makeContext(io, global, parsed.flags, parsed.positionals, options))
  } catch (err) {
    return report(io, err, verbose)
  }
}

function report(io: CliIo, err: unknown, verbose: boolean): number {
  if (err instanceof ChildExit) return err.exitCode
  const code = exitCodeFor(err)
  const text = err instanceof Error ? err.message : String(err)
  say(io, text === "" ? "Error" : text)
  if (verbose) {
    let e: unknown = err
    let depth = 0
    while (e instanceof Error && depth < 8) {
      if (e.stack) say(io, e.stack)
      if (e instanceof SopsError) say(io, `  code: ${e.code}`)
      e = e.cause
      depth++
      if (e !== undefined) say(io, "Caused by:")
    }
    if (e !== undefined && !(e instanceof Error)) say(io, String(e))
  }
  return code
}

/** Exposed for the legacy handler and tests. */
export type { Flags }
