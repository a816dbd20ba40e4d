/**
 * `sops-ts set file index value` and `sops-ts unset file index` (sops `set.go`, `unset.go`):
 * decrypt, change one value, re-encrypt with the same data key (unchanged values keep their
 * ciphertext), write back in place.
 * @module
 */
import {
  SopsError,
  TreeBranch,
  emitEncrypted,
  parseTreePath,
  readFileBytes,
  sealDocument,
  setAtPath,
  storeFor,
  unsetAtPath,
  type PathComponent,
  type TreeValue,
} from "@sops-ts/core"
import { readAll } from "../io.js"
import { absPath, formatsFor, message, readInput, storeOptions, writeResult, type CommandContext } from "../context.js"
import { CliError, ExitCode } from "../exit-codes.js"
import { openInput } from "../open.js"

/**
 * Converts a JSON text to a value sops can insert (`jsonValueToTreeInsertableValue`):
 * numbers are always floats, objects keep their order (and integer members) through the JSON
 * store, arrays are rejected.
 * @throws CliError exit 7
 */
export function jsonToTreeValue(text: string): TreeValue {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new CliError("Value for --set is not valid JSON", ExitCode.ErrorInvalidSetFormat)
  }
  if (parsed === null || typeof parsed === "string" || typeof parsed === "boolean") return parsed
  if (typeof parsed === "number") return parsed
  if (Array.isArray(parsed)) throw new CliError("Invalid --set value format", ExitCode.ErrorInvalidSetFormat)
  try {
    const branches = storeFor("json").loadPlain(new TextEncoder().encode(text))
    return branches[0] ?? new TreeBranch()
  } catch {
    throw new CliError("Invalid --set value format", ExitCode.ErrorInvalidSetFormat)
  }
}

/** Parses a set/unset index; malformed → exit 7 with sops' message. */
function indexPath(text: string, what: "set" | "unset"): PathComponent[] {
  try {
    const p = parseTreePath(text)
    if (p.length === 0) throw new Error("empty")
    return p
  } catch {
    throw new CliError(`Invalid ${what} index format`, ExitCode.ErrorInvalidSetFormat)
  }
}

/** Decrypts `file`, applies `change`, re-encrypts and writes in place unless nothing changed and `idempotent`. */
export async function modifyFile(
  ctx: CommandContext,
  file: string,
  change: (root: TreeBranch) => boolean,
  idempotent: boolean,
): Promise<number> {
  const { io, flags } = ctx
  const formats = formatsFor(flags, file)
  const inOpts = await storeOptions(ctx, formats.input, false)
  const outOpts = await storeOptions(ctx, formats.output, true)
  const bytes = await readInput(io, file)
  const opened = await openInput(ctx, bytes, {
    format: formats.input,
    storeOptions: inOpts,
    ignoreMac: flags.declares("ignore-mac") && flags.bool("ignore-mac"),
    reuseIvs: true,
  })
  try {
    if (opened.branches.length === 0) opened.branches.push(new TreeBranch())
    const changed = change(opened.branches[0]!)
    if (!changed && idempotent) {
      return ExitCode.Ok
    }
    const sealed = sealDocument(opened.branches, opened.metadata, opened.dataKey, { cipher: opened.cipher })
    let out: Uint8Array
    try {
      out = emitEncrypted(sealed, formats.output, outOpts)
    } catch (err) {
      throw new CliError(`Could not marshal tree: ${message(err)}`, ExitCode.ErrorDumpingTree, { cause: err })
    }
    await writeResult(io, out, { inPlace: file })
    return ExitCode.Ok
  } finally {
    opened.dataKey.fill(0)
  }
}

/** Runs `set`. */
export async function setCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  if (flags.bool("value-file") && flags.bool("value-stdin")) {
    throw new CliError("Error: cannot use both --value-file and --value-stdin", ExitCode.ErrorGeneric)
  }
  if (flags.bool("value-stdin")) {
    if (positionals.length !== 2) {
      throw new CliError(
        "Error: file specified, or index and value are missing. Need precisely 2 positional arguments since --value-stdin is used.",
        ExitCode.NoFileSpecified,
      )
    }
  } else if (positionals.length !== 3) {
    throw new CliError("Error: no file specified, or index and value are missing. Need precisely 3 positional arguments.", ExitCode.NoFileSpecified)
  }
  const file = absPath(io, positionals[0]!)
  const path = indexPath(positionals[1]!, "set")
  let text: string
  if (flags.bool("value-stdin")) text = new TextDecoder().decode(await readAll(io.stdin))
  else if (flags.bool("value-file")) {
    try {
      text = new TextDecoder().decode(await readFileBytes(absPath(io, positionals[2]!)))
    } catch (err) {
      throw new CliError(message(err), ExitCode.ErrorGeneric, { cause: err })
    }
  } else text = positionals[2]!
  const value = jsonToTreeValue(text)
  return modifyFile(ctx, file, (root) => setAtPath(root, path, value), flags.bool("idempotent"))
}

/** Runs `unset`. */
export async function unsetCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  if (positionals.length !== 2) throw new CliError("Error: no file specified, or index is missing", ExitCode.NoFileSpecified)
  const file = absPath(io, positionals[0]!)
  const path = indexPath(positionals[1]!, "unset")
  const idempotent = flags.bool("idempotent")
  return modifyFile(
    ctx,
    file,
    (root) => {
      try {
        unsetAtPath(root, path)
        return true
      } catch (err) {
        // --idempotent: a missing key is success, and the file is not rewritten.
        if (idempotent && err instanceof SopsError && err.code === "ERR_PATH_NOT_FOUND") return false
        throw err
      }
    },
    idempotent,
  )
}

/** The legacy `--set '["a"]["b"] value'` argument: split after the first `] `. */
export function splitSetArgument(arg: string): { path: PathComponent[]; value: TreeValue } {
  const at = arg.indexOf("] ")
  if (at === -1) throw new CliError("Invalid --set format", ExitCode.ErrorInvalidSetFormat)
  const value = jsonToTreeValue(arg.slice(at + 2))
  let path: PathComponent[]
  try {
    path = parseTreePath(arg.slice(0, at + 1).trimEnd())
  } catch {
    throw new CliError("Invalid --set format", ExitCode.ErrorInvalidSetFormat)
  }
  return { path, value }
}
