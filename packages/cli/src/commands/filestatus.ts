/**
 * `sops-ts filestatus file`: prints `{"encrypted":true}` when the file has sops metadata with
 * a version and a MAC, `{"encrypted":false}` when it has none (sops `filestatus.go`). Other
 * load errors are errors, and every error is exit 1 as in sops.
 * @module
 */
import { SopsError, parseEncrypted } from "@sops-ts/core"
import { absPath, formatsFor, message, readInput, type CommandContext } from "../context.js"
import { CliError, ExitCode } from "../exit-codes.js"

/** Runs `filestatus`. */
export async function filestatusCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  if (positionals.length < 1) throw new CliError("Error: no file specified", ExitCode.NoFileSpecified)
  const given = positionals[0]!
  const { input } = formatsFor(flags, given)
  let encrypted: boolean
  try {
    const bytes = await readInput(io, absPath(io, given))
    try {
      const doc = parseEncrypted(bytes, input)
      encrypted = doc.metadata.version !== "" && doc.metadata.mac !== ""
    } catch (err) {
      if (err instanceof SopsError && err.code === "ERR_METADATA_MISSING") encrypted = false
      else throw new Error(`cannot load encrypted file: ${message(err)}`, { cause: err })
    }
  } catch (err) {
    throw new CliError(`cannot check file status: ${message(err)}`, ExitCode.ErrorGeneric, { cause: err })
  }
  io.stdout.write(`{"encrypted":${encrypted}}\n`)
  return ExitCode.Ok
}
