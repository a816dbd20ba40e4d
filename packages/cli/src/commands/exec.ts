/**
 * `sops-ts exec-env file command` and `sops-ts exec-file file command` (sops
 * `subcommand/exec`): the decrypted values reach only the child, through its environment or
 * a FIFO / 0600 file in a private temp directory that is removed afterwards.
 * @module
 */
import { spawnSync } from "node:child_process"
import { constants } from "node:fs"
import { mkdtemp, open, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { isAbsolute, join, normalize, sep } from "node:path"
import { Comment, NonStringKey, TreeBranch, emitDecrypted, valToString, type TreeValue } from "@sops-ts/core"
import { absPath, formatsFor, readInput, storeOptions, type CommandContext } from "../context.js"
import { lookupUser, runChild, type UserInfo } from "../child.js"
import { ChildExit, CliError, ExitCode } from "../exit-codes.js"
import { say } from "../io.js"
import { openInput } from "../open.js"

function isComplex(v: TreeValue): boolean {
  return v instanceof TreeBranch || Array.isArray(v)
}

function text(v: string | Uint8Array): string {
  return typeof v === "string" ? v : new TextDecoder().decode(v)
}

/** The child's environment: ours unless `--pristine`, then the user's, then `extra`. */
function childEnv(ctx: CommandContext, user: UserInfo | undefined, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  if (!ctx.flags.bool("pristine")) {
    for (const [k, v] of Object.entries(ctx.io.env)) if (v !== undefined) env[k] = v
  }
  if (user) Object.assign(env, { HOME: user.home, USER: user.name, LOGNAME: user.name })
  return Object.assign(env, extra)
}

async function decryptFor(ctx: CommandContext, file: string) {
  const formats = formatsFor(ctx.flags, file)
  const bytes = await readInput(ctx.io, absPath(ctx.io, file))
  const opened = await openInput(ctx, bytes, { format: formats.input, storeOptions: await storeOptions(ctx, formats.input, false) })
  opened.dataKey.fill(0)
  return { opened, formats }
}

function finish(status: number): number {
  if (status !== 0) throw new ChildExit(status)
  return ExitCode.Ok
}

/** Runs `exec-env`. */
export async function execEnvCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  if (positionals.length !== 2) throw new CliError("error: missing file to decrypt", ExitCode.ErrorGeneric)
  if (flags.bool("background")) {
    say(io, "[WARN] exec-env's --background option is deprecated and will be removed in a future version of sops")
    if (flags.bool("same-process")) {
      throw new CliError("Error: The --same-process flag cannot be used with --background", ExitCode.ErrorConflictingParameters)
    }
  }
  const { opened } = await decryptFor(ctx, positionals[0]!)
  const values: Record<string, string> = {}
  for (const item of opened.branches[0]?.items ?? []) {
    if (isComplex(item.value)) {
      throw new CliError(`cannot use complex value in environment; offending key ${String(item.key instanceof Comment ? item.key.value : item.key)}`, ExitCode.ErrorGeneric)
    }
    if (item.key instanceof Comment) continue
    if (item.key instanceof NonStringKey || typeof item.key !== "string") {
      throw new CliError("cannot use non-string keys in environment", ExitCode.ErrorGeneric)
    }
    if (item.key.includes("=")) throw new CliError(`cannot use keys with '=' in environment: ${item.key}`, ExitCode.ErrorGeneric)
    values[item.key] = typeof item.value === "string" ? item.value : text(valToString(item.value))
  }
  const user = flags.string("user") !== "" ? lookupUser(flags.string("user")) : undefined
  const status = await runChild(
    io,
    { file: "/bin/sh", args: ["-c", positionals[1]!], env: childEnv(ctx, user, values), cwd: io.cwd, ...(user ? { user } : {}) },
    { background: flags.bool("background") },
  )
  return finish(status)
}

/** Runs `exec-file`. */
export async function execFileCommand(ctx: CommandContext): Promise<number> {
  const { io, flags, positionals } = ctx
  if (positionals.length !== 2) throw new CliError("error: missing file to decrypt", ExitCode.ErrorGeneric)
  if (flags.bool("background")) say(io, "[WARN] exec-file's --background option is deprecated and will be removed in a future version of sops")
  const name = flags.string("filename")
  if (name !== "") {
    const n = normalize(name)
    if (isAbsolute(name) || n === ".." || n.startsWith(`..${sep}`) || n === ".") {
      throw new CliError("The provided filename is not a local path.", ExitCode.ErrorGeneric)
    }
  }
  const { opened, formats } = await decryptFor(ctx, positionals[0]!)
  const outOpts = await storeOptions(ctx, formats.output, true)
  const plaintext = emitDecrypted(opened.branches, {
    outputFormat: formats.output,
    ...(outOpts.indent === undefined ? {} : { indent: outOpts.indent }),
  })
  const user = flags.string("user") !== "" ? lookupUser(flags.string("user")) : undefined
  const dir = await mkdtemp(join(tmpdir(), ".sops"))
  try {
    const path = join(dir, name === "" ? "tmp-file" : name)
    let writer: Promise<void> | null = null
    if (flags.bool("no-fifo")) {
      await writeFile(path, plaintext, { mode: 0o600, flag: "wx" })
    } else {
      const made = spawnSync("mkfifo", ["-m", "600", path], { stdio: "ignore" })
      if (made.status !== 0) throw new CliError(`could not create a FIFO at ${path} (use --no-fifo)`, ExitCode.ErrorGeneric)
      writer = (async () => {
        // Opening a FIFO for writing waits until the child opens it for reading.
        const h = await open(path, constants.O_WRONLY)
        try {
          await h.writeFile(plaintext)
        } finally {
          await h.close()
        }
      })().catch(() => undefined)
    }
    const command = positionals[1]!.replaceAll("{}", path)
    const status = await runChild(
      io,
      { file: "/bin/sh", args: ["-c", command], env: childEnv(ctx, user, {}), cwd: io.cwd, ...(user ? { user } : {}) },
      { background: flags.bool("background") },
    )
    if (writer !== null) {
      // If the child never read the FIFO, open it for reading ourselves so the writer ends.
      const unblock = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch(() => null)
      await Promise.race([writer, new Promise((r) => setTimeout(r, 1000))])
      await unblock?.close().catch(() => undefined)
      await writer
    }
    return finish(status)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
