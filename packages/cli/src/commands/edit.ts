/**
 * `sops-ts edit file` (sops `edit.go`): decrypt to a 0600 file in a private temp directory,
 * run the editor, re-encrypt with the same data key (unchanged values keep their IVs) and
 * replace the original atomically. The original is never touched unless the edit succeeds.
 * @module
 */
import { createHash } from "node:crypto"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import {
  SOPS_VERSION,
  ValueCipher,
  emitEncrypted,
  generateDataKey,
  metadataToBranch,
  parseEncrypted,
  sealDocument,
  storeFor,
  wrapDataKey,
  type Format,
  type Metadata,
  type StoreOptions,
  type TreeBranches,
} from "@sops-ts/core"
import { runChild } from "../child.js"
import { absPath, formatsFor, message, pathExists, readInput, storeOptions, writeResult, type CommandContext } from "../context.js"
import { editorCommand } from "../editor.js"
import { encryptConfigFor } from "../encrypt-config.js"
import { exampleBranches } from "../example.js"
import { CliError, ExitCode } from "../exit-codes.js"
import { say } from "../io.js"
import { openInput } from "../open.js"
import { LineReader } from "../prompt.js"

const PRESS_KEY = "Press enter to return to the editor, or Ctrl+C to exit."

/** Runs `edit` (also the legacy form without -d/-e/-r/--set). */
export async function editCommand(ctx: CommandContext): Promise<number> {
  const { io, positionals } = ctx
  if (positionals.length < 1) throw new CliError("Error: no file specified", ExitCode.NoFileSpecified)
  return runEdit(ctx, absPath(io, positionals[0]!))
}

function versionOlder(a: string, b: string): boolean {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10))
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10))
  for (let i = 0; i < 3; i++) {
    const x = Number.isFinite(pa[i]) ? pa[i]! : 0
    const y = Number.isFinite(pb[i]) ? pb[i]! : 0
    if (x !== y) return x < y
  }
  return false
}

/** Shared by the subcommand and the legacy form. */
export async function runEdit(ctx: CommandContext, file: string): Promise<number> {
  const { io, flags } = ctx
  const override = flags.declares("filename-override") ? flags.string("filename-override") : ""
  const formats = formatsFor(flags, override !== "" ? absPath(io, override) : file)
  const inOpts = await storeOptions(ctx, formats.input, false)
  const outOpts = await storeOptions(ctx, formats.output, true)
  const showKeys = flags.bool("show-master-keys")
  let session: EditSession
  if (await pathExists(file)) {
    const opened = await openInput(ctx, await readInput(io, file), {
      format: formats.input,
      storeOptions: inOpts,
      ignoreMac: flags.bool("ignore-mac"),
      reuseIvs: true,
    })
    session = { branches: opened.branches, metadata: opened.metadata, dataKey: opened.dataKey, cipher: opened.cipher }
  } else {
    const config = await encryptConfigFor(ctx, override !== "" ? absPath(io, override) : file, formats.input)
    const dataKey = generateDataKey()
    let wrapped
    try {
      wrapped = await wrapDataKey(config.keyGroups, dataKey, config.shamirThreshold, { keyServices: ctx.keyServices() })
    } catch (err) {
      dataKey.fill(0)
      throw new CliError(`Error encrypting the data key with one or more master keys: ${message(err)}`, ExitCode.CouldNotRetrieveKey, { cause: err })
    }
    const metadata: Metadata = {
      keyGroups: wrapped.keyGroups,
      shamirThreshold: wrapped.shamirThreshold,
      lastModified: "",
      mac: "",
      hasMac: true,
      options: formats.input === "binary" ? {} : config.options,
      version: SOPS_VERSION,
    }
    session = { branches: exampleBranches(formats.output), metadata, dataKey, cipher: new ValueCipher(dataKey) }
  }
  try {
    const out = await editLoop(ctx, file, session, formats, inOpts, outOpts, showKeys)
    await writeResult(io, out, { inPlace: file })
  } finally {
    session.dataKey.fill(0)
  }
  return ExitCode.Ok
}

interface EditSession {
  branches: TreeBranches
  metadata: Metadata
  dataKey: Uint8Array
  cipher: ValueCipher
}

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex")
}

async function editLoop(
  ctx: CommandContext,
  file: string,
  session: EditSession,
  formats: { input: Format; output: Format },
  inOpts: StoreOptions,
  outOpts: StoreOptions,
  showKeys: boolean,
): Promise<Uint8Array> {
  const { io } = ctx
  const editor = editorCommand(io.env)
  if (editor === null) {
    throw new CliError("Could not run editor: no editor found (set $SOPS_EDITOR or $EDITOR, or install vim, nano or vi)", ExitCode.NoEditorFound)
  }
  const outStore = storeFor(formats.output, outOpts)
  const inStore = storeFor(formats.input, inOpts)
  const dir = await mkdtemp(join(tmpdir(), "sops-edit-"))
  const reader = new LineReader(io)
  try {
    const tmp = join(dir, basename(file))
    let content: Uint8Array
    try {
      content = showKeys ? outStore.emitEncrypted(session.branches, metadataToBranch(session.metadata)) : outStore.emitPlain(session.branches)
    } catch (err) {
      throw new CliError(`Could not marshal tree: ${message(err)}`, ExitCode.ErrorDumpingTree, { cause: err })
    }
    try {
      await writeFile(tmp, content, { mode: 0o600, flag: "wx" })
    } catch (err) {
      throw new CliError(`Could not create temporary file: ${message(err)}`, ExitCode.CouldNotWriteOutputFile, { cause: err })
    }
    const original = sha256(content)
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(io.env)) if (v !== undefined) env[k] = v
    let metadata = session.metadata
    let branches: TreeBranches
    for (;;) {
      let status: number
      try {
        status = await runChild(io, { file: editor[0]!, args: [...editor.slice(1), tmp], env, cwd: io.cwd })
      } catch (err) {
        throw new CliError(`Could not run editor: ${message(err)}`, ExitCode.NoEditorFound, { cause: err })
      }
      if (status !== 0) throw new CliError(`Could not run editor: exit status ${status}`, ExitCode.NoEditorFound)
      let edited: Uint8Array
      try {
        edited = new Uint8Array(await readFile(tmp))
      } catch (err) {
        throw new CliError(`Could not read edited file: ${message(err)}`, ExitCode.CouldNotReadInputFile, { cause: err })
      }
      if (sha256(edited) === original) throw new CliError("File has not changed, exiting.", ExitCode.FileHasNotBeenModified)
      const problem = ((): string | null => {
        try {
          if (showKeys) {
            const doc = parseEncrypted(edited, formats.input, inOpts)
            metadata = doc.metadata
            branches = doc.branches
          } else {
            branches = inStore.loadPlain(edited)
            if (branches.length === 0) return "Tree not valid for encryption: the file cannot be completely empty, it must contain at least one document."
            if (outStore.hasSopsTopLevelKey(branches[0]!)) return "Tree not valid for encryption: the file has a top-level 'sops' entry; rename it."
          }
        } catch (err) {
          return `Could not load tree, probably due to invalid syntax: ${message(err)}.`
        }
        if (metadata.keyGroups.every((g) => g.length === 0)) return "No master keys were provided, so sops can't encrypt the file."
        return null
      })()
      if (problem === null) break
      say(io, `${problem} ${PRESS_KEY}`)
      if ((await reader.line()) === null) {
        throw new CliError(`${problem} The original file was left unchanged.`, ExitCode.CouldNotReadInputFile)
      }
    }
    if (versionOlder(metadata.version, SOPS_VERSION)) metadata = { ...metadata, version: SOPS_VERSION }
    const sealed = sealDocument(branches!, metadata, session.dataKey, { cipher: session.cipher })
    try {
      return emitEncrypted(sealed, formats.output, outOpts)
    } catch (err) {
      throw new CliError(`Could not marshal tree: ${message(err)}`, ExitCode.ErrorDumpingTree, { cause: err })
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
