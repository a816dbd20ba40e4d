/**
 * `sops-ts rotate file`: new data key, every value re-encrypted, master keys optionally added
 * (`--add-*`, to the first group) or removed (`--rm-*`, from every group). sops `rotate.go`.
 * @module
 */
import {
  ValueCipher,
  applyKeyChanges,
  emitEncrypted,
  generateDataKey,
  sealDocument,
  wrapDataKey,
} from "@sops-ts/core"
import {
  absPath,
  formatsFor,
  pathExists,
  readInput,
  requireExisting,
  storeOptions,
  warnExtraArgs,
  writeResult,
  type CommandContext,
} from "../context.js"
import { CliError, ExitCode } from "../exit-codes.js"
import { encryptionContext, hasKeyChanges, masterKeysFromFlags } from "../key-flags.js"
import { openInput } from "../open.js"

/** Runs `rotate`. */
export async function rotateCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  if (positionals.length < 1) throw new CliError("Error: no file specified", ExitCode.NoFileSpecified)
  warnExtraArgs(io, positionals, 1)
  if (flags.bool("in-place") && flags.string("output") !== "") {
    throw new CliError("Error: cannot operate on both --output and --in-place", ExitCode.ErrorConflictingParameters)
  }
  return runRotate(ctx, absPath(io, positionals[0]!))
}

/** Shared by the subcommand and the legacy `-r` form. */
export async function runRotate(ctx: CommandContext, file: string): Promise<number> {
  const { io, flags } = ctx
  if (!(await pathExists(file)) && hasKeyChanges(flags)) {
    throw new CliError(
      `Error: cannot add or remove keys on non-existent file "${file}", use the \`edit\` subcommand instead.`,
      ExitCode.CannotChangeKeysFromNonExistentFile,
    )
  }
  await requireExisting(file)
  const override = flags.declares("filename-override") ? flags.string("filename-override") : ""
  const formats = formatsFor(flags, override !== "" ? absPath(io, override) : file)
  const inOpts = await storeOptions(ctx, formats.input, false)
  const outOpts = await storeOptions(ctx, formats.output, true)
  const context = encryptionContext(flags)
  const add = masterKeysFromFlags(flags, "add-", context)
  const remove = masterKeysFromFlags(flags, "rm-", context)
  const bytes = await readInput(io, file)
  const opened = await openInput(ctx, bytes, {
    format: formats.input,
    storeOptions: inOpts,
    ignoreMac: flags.declares("ignore-mac") && flags.bool("ignore-mac"),
  })
  const newKey = generateDataKey()
  try {
    const groups = applyKeyChanges(opened.metadata.keyGroups, add, remove)
    const wrapped = await wrapDataKey(groups, newKey, opened.metadata.shamirThreshold, { keyServices: ctx.keyServices() })
    const metadata = { ...opened.metadata, keyGroups: wrapped.keyGroups, shamirThreshold: wrapped.shamirThreshold }
    const sealed = sealDocument(opened.branches, metadata, newKey, { cipher: new ValueCipher(newKey) })
    const out = emitEncrypted(sealed, formats.output, outOpts)
    await writeResult(io, out, { ...(flags.bool("in-place") ? { inPlace: file } : {}), output: flags.string("output") })
  } finally {
    newKey.fill(0)
    opened.dataKey.fill(0)
  }
  return ExitCode.Ok
}
