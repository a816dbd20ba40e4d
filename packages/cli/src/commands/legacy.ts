/**
 * The legacy form `sops-ts [flags] file`: `-d`, `-e`, `-r`, `--set`, or edit when none is
 * given (sops' top-level action). helm-secrets and many scripts call sops this way.
 * @module
 */
import { setAtPath } from "@sops-ts/core"
import { absPath, isStdinArg, pathExists, warnExtraArgs, type CommandContext } from "../context.js"
import { CliError, ExitCode } from "../exit-codes.js"
import { say } from "../io.js"
import { hasKeyChanges } from "../key-flags.js"
import { runDecrypt } from "./decrypt.js"
import { runEdit } from "./edit.js"
import { runEncrypt } from "./encrypt.js"
import { runRotate } from "./rotate.js"
import { modifyFile, splitSetArgument } from "./set.js"

/** Runs the legacy top-level form. */
export async function legacyCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  const modes = {
    decrypt: flags.bool("decrypt"),
    encrypt: flags.bool("encrypt"),
    rotate: flags.bool("rotate"),
    set: flags.string("set") !== "",
  }
  if (positionals.length < 1) {
    throw new CliError("Error: no file specified (run `sops-ts --help` for usage)", ExitCode.NoFileSpecified)
  }
  warnExtraArgs(io, positionals, 1)
  if (flags.bool("in-place") && flags.string("output") !== "") {
    throw new CliError("Error: cannot operate on both --output and --in-place", ExitCode.ErrorConflictingParameters)
  }
  const arg = positionals[0]!
  const stdin = isStdinArg(arg)
  const file = stdin ? null : absPath(io, arg)
  if (stdin && (flags.bool("in-place") || !(modes.decrypt || modes.encrypt))) {
    throw new CliError("Error: cannot use --in-place or edit/rotate/set when reading from stdin", ExitCode.ErrorConflictingParameters)
  }
  if (file !== null && !(await pathExists(file))) {
    if (hasKeyChanges(flags)) {
      throw new CliError(
        `Error: cannot add or remove keys on non-existent file "${file}", use \`--kms\` and \`--pgp\` instead.`,
        ExitCode.CannotChangeKeysFromNonExistentFile,
      )
    }
    if (modes.encrypt || modes.decrypt || modes.rotate) {
      throw new CliError(`Error: cannot operate on non-existent file "${file}"`, ExitCode.NoFileSpecified)
    }
  }
  const count = Object.values(modes).filter(Boolean).length
  if (count > 1) {
    say(io, "[WARN] More than one command (--encrypt, --decrypt, --rotate, --set) has been specified. Only the changes made by the last one will be visible.")
  }
  // Like sops, every mode but pure decryption loads the creation rule first, so a broken
  // .sops.yaml fails early.
  if (!modes.decrypt || count > 1) await ctx.config()
  if (modes.set) {
    const { path, value } = splitSetArgument(flags.string("set"))
    return modifyFile(ctx, file!, (root) => setAtPath(root, path, value), false)
  }
  if (modes.rotate) return runRotate(ctx, file!)
  if (modes.decrypt) return runDecrypt(ctx, { file, pathForFormat: arg === "/dev/stdin" ? "/dev/stdin" : "" })
  if (modes.encrypt) return runEncrypt(ctx, file, arg === "/dev/stdin" ? "/dev/stdin" : "")
  return runEdit(ctx, file!)
}
