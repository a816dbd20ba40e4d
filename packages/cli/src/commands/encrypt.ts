/**
 * `sops-ts encrypt [file]` (sops `encrypt.go` and the encrypt subcommand).
 * @module
 */
import { encryptBranches, storeFor, type TreeBranches } from "@sops-ts/core"
import {
  absPath,
  formatsFor,
  isStdinArg,
  message,
  readInput,
  requireExisting,
  storeOptions,
  warnExtraArgs,
  writeResult,
  type CommandContext,
} from "../context.js"
import { encryptConfigFor } from "../encrypt-config.js"
import { CliError, ExitCode } from "../exit-codes.js"

/** Runs `encrypt`. */
export async function encryptCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  const fromStdin = isStdinArg(positionals[0])
  // "/dev/stdin" is a file name to sops: it names the store (binary unless typed), no override needed.
  if (fromStdin && flags.bool("in-place")) {
    throw new CliError("Error: cannot use --in-place when reading from stdin", ExitCode.ErrorConflictingParameters)
  }
  if (fromStdin && positionals[0] !== "/dev/stdin") {
    if (flags.string("filename-override") === "") {
      throw new CliError("Error: must specify --filename-override when reading from stdin", ExitCode.ErrorConflictingParameters)
    }
  }
  warnExtraArgs(io, positionals, 1)
  if (flags.bool("in-place") && flags.string("output") !== "") {
    throw new CliError("Error: cannot operate on both --output and --in-place", ExitCode.ErrorConflictingParameters)
  }
  return runEncrypt(ctx, fromStdin ? null : absPath(io, positionals[0]!), positionals[0] === "/dev/stdin" ? "/dev/stdin" : "")
}

/** Shared by the subcommand and the legacy `-e` form. */
export async function runEncrypt(ctx: CommandContext, file: string | null, pathForFormat = ""): Promise<number> {
  const { io, flags } = ctx
  if (file !== null) await requireExisting(file)
  const override = flags.string("filename-override")
  const namePath = override !== "" ? absPath(io, override) : (file ?? pathForFormat)
  const formats = formatsFor(flags, namePath)
  const inOpts = await storeOptions(ctx, formats.input, false)
  const outOpts = await storeOptions(ctx, formats.output, true)
  const config = await encryptConfigFor(ctx, namePath, formats.input)
  const bytes = await readInput(io, file)
  let branches: TreeBranches
  try {
    branches = storeFor(formats.input, inOpts).loadPlain(bytes)
  } catch (err) {
    throw new CliError(`Error unmarshalling file: ${message(err)}`, ExitCode.CouldNotReadInputFile, { cause: err })
  }
  const out = await encryptBranches(branches, {
    format: formats.input,
    outputFormat: formats.output,
    keyGroups: config.keyGroups,
    shamirThreshold: config.shamirThreshold,
    selection: config.options,
    keyServices: ctx.keyServices(),
    ...(outOpts.indent === undefined ? {} : { indent: outOpts.indent }),
    ...(file !== null ? { fileName: file } : {}),
  })
  await writeResult(io, out, {
    ...(flags.bool("in-place") && file !== null ? { inPlace: file } : {}),
    output: flags.string("output"),
  })
  return ExitCode.Ok
}
