/**
 * `sops-ts decrypt [file]` (sops `decrypt.go` and the decrypt subcommand).
 * @module
 */
import { SopsError, emitDecrypted, parseTreePath, type PathComponent } from "@sops-ts/core"
import {
  absPath,
  formatsFor,
  isStdinArg,
  readInput,
  requireExisting,
  storeOptions,
  warnExtraArgs,
  writeResult,
  type CommandContext,
} from "../context.js"
import { CliError, ExitCode } from "../exit-codes.js"
import { openInput } from "../open.js"

/** Parses `--extract`; a malformed path is exit 91. */
export function extractPath(text: string): PathComponent[] | undefined {
  if (text === "") return undefined
  try {
    return parseTreePath(text)
  } catch (err) {
    throw new CliError(`error parsing --extract path: ${(err as Error).message}`, ExitCode.InvalidTreePathFormat, { cause: err })
  }
}

/** Runs `decrypt`. */
export async function decryptCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  const fromStdin = isStdinArg(positionals[0])
  if (fromStdin && flags.bool("in-place")) {
    throw new CliError("Error: cannot use --in-place when reading from stdin", ExitCode.ErrorConflictingParameters)
  }
  warnExtraArgs(io, positionals, 1)
  if (flags.bool("in-place") && flags.string("output") !== "") {
    throw new CliError("Error: cannot operate on both --output and --in-place", ExitCode.ErrorConflictingParameters)
  }
  return runDecrypt(ctx, {
    file: fromStdin ? null : absPath(io, positionals[0]!),
    // "/dev/stdin" still names the input for store selection (binary unless a type is given).
    pathForFormat: positionals[0] === "/dev/stdin" ? "/dev/stdin" : "",
  })
}

/** Shared by the subcommand and the legacy `-d` form. */
export async function runDecrypt(ctx: CommandContext, input: { file: string | null; pathForFormat: string }): Promise<number> {
  const { io, flags } = ctx
  if (input.file !== null) await requireExisting(input.file)
  const override = flags.string("filename-override")
  const namePath = override !== "" ? absPath(io, override) : (input.file ?? input.pathForFormat)
  const formats = formatsFor(flags, namePath)
  const inOpts = await storeOptions(ctx, formats.input, false)
  const outOpts = await storeOptions(ctx, formats.output, true)
  const extract = extractPath(flags.string("extract"))
  const bytes = await readInput(io, input.file)
  const opened = await openInput(ctx, bytes, { format: formats.input, storeOptions: inOpts, ignoreMac: flags.bool("ignore-mac") })
  let out: Uint8Array
  try {
    out = emitDecrypted(opened.branches, {
      outputFormat: formats.output,
      ...(extract ? { extract } : {}),
      ...(outOpts.indent === undefined ? {} : { indent: outOpts.indent }),
    })
  } catch (err) {
    if (err instanceof SopsError && err.code === "ERR_PATH_NOT_FOUND") {
      throw new CliError(`error truncating tree: ${err.message}`, ExitCode.ErrorGeneric, { cause: err })
    }
    if (err instanceof SopsError) {
      throw new CliError(`Error dumping file: ${err.message}`, ExitCode.ErrorDumpingTree, { cause: err })
    }
    throw err
  } finally {
    opened.dataKey.fill(0)
  }
  await writeResult(io, out, {
    ...(flags.bool("in-place") && input.file !== null ? { inPlace: input.file } : {}),
    output: flags.string("output"),
  })
  return ExitCode.Ok
}
