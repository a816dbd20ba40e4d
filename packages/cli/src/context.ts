/**
 * What every command needs from a run: flags, the config file and its `stores:` section,
 * key services, reading the input and writing the output the way sops does.
 * @module
 */
import { stat } from "node:fs/promises"
import { resolve } from "node:path"
import {
  SopsError,
  formatForPathOrString,
  loadConfig,
  lookupConfigFile,
  parseDecryptionOrder,
  readFileBytes,
  writeFileAtomic,
  type Format,
  type KeyService,
  type SopsConfig,
  type StoreOptions,
} from "@sops-ts/core"
import type { Flags } from "./args.js"
import { CliError, ExitCode } from "./exit-codes.js"
import { readAll, say, type CliIo } from "./io.js"
import { buildKeyServices, type Importer } from "./providers.js"

/** Everything a command handler receives. */
export interface CommandContext {
  readonly io: CliIo
  /** Flags given before the subcommand. */
  readonly global: Flags
  /** The subcommand's own flags (the global ones in the legacy form). */
  readonly flags: Flags
  readonly positionals: readonly string[]
  /** Loads the config once (`--config`/`SOPS_CONFIG`, else `.sops.yaml` discovery from cwd). */
  config(): Promise<SopsConfig | null>
  /** The key services for this run (built once). */
  keyServices(): KeyService[]
}

/** Options for building a {@link CommandContext} (tests inject a module loader). */
export interface ContextOptions {
  readonly importer?: Importer
}

/** Builds the context of one run. */
export function makeContext(
  io: CliIo,
  global: Flags,
  flags: Flags,
  positionals: readonly string[],
  options: ContextOptions = {},
): CommandContext {
  let config: Promise<SopsConfig | null> | null = null
  let services: KeyService[] | null = null
  return {
    io,
    global,
    flags,
    positionals,
    config() {
      config ??= findAndLoadConfig(io, global.string("config"))
      return config
    },
    keyServices() {
      services ??= buildKeyServices({
        env: io.env,
        local: flags.declares("enable-local-keyservice") ? flags.bool("enable-local-keyservice") : true,
        remote: flags.declares("keyservice") ? flags.list("keyservice") : [],
        ...(options.importer ? { importer: options.importer } : {}),
        pluginPrompts: { messages: io.stderr, terminal: io.inheritStdio === true },
      })
      return services
    },
  }
}

async function findAndLoadConfig(io: CliIo, explicit: string): Promise<SopsConfig | null> {
  if (explicit !== "") return loadConfig(resolve(io.cwd, explicit))
  const found = await lookupConfigFile(io.cwd)
  if (found.warning) say(io, `[WARN] ${found.warning}`)
  return found.path === null ? null : loadConfig(found.path)
}

/**
 * Store options for `format` from the config's `stores:` section; `--indent` (global) wins
 * for output stores.
 */
export async function storeOptions(ctx: CommandContext, format: Format, output: boolean): Promise<StoreOptions> {
  const config = await ctx.config()
  if (output && ctx.global.isSet("indent")) {
    return format === "yaml" || format === "json" || format === "binary" ? { indent: ctx.global.int("indent") } : {}
  }
  if (config === null) return {}
  const s = config.stores
  if (format === "yaml") return { indent: s.yaml.indent }
  if (format === "json") return { indent: s.json.indent }
  if (format === "binary") return { indent: s.jsonBinary.indent }
  return {}
}

/** Input and output formats for `path` (sops' `inputStore`/`outputStore`). */
export function formatsFor(flags: Flags, path: string): { input: Format; output: Format } {
  return {
    input: formatForPathOrString(path, flags.declares("input-type") ? flags.string("input-type") : undefined),
    output: formatForPathOrString(path, flags.declares("output-type") ? flags.string("output-type") : undefined),
  }
}

/** `--decryption-order` / `SOPS_DECRYPTION_ORDER`, validated (duplicate → exit 112). */
export function decryptionOrder(flags: Flags): string[] | undefined {
  const s = flags.declares("decryption-order") ? flags.string("decryption-order") : ""
  if (s === "") return undefined
  return parseDecryptionOrder(s)
}

/** Whether an argument means standard input. */
export function isStdinArg(arg: string | undefined): boolean {
  return arg === undefined || arg === "-" || arg === "/dev/stdin"
}

/** Absolute path of a user-given path. */
export function absPath(io: CliIo, p: string): string {
  return resolve(io.cwd, p)
}

/** Whether a path exists (sops' `os.Stat` + `IsNotExist`). */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ENOENT"
  }
}

/** Fails with exit 100 unless `p` exists. */
export async function requireExisting(p: string): Promise<void> {
  if (!(await pathExists(p))) throw new CliError(`Error: cannot operate on non-existent file "${p}"`, ExitCode.NoFileSpecified)
}

/** Reads the input file, or stdin when `path` is null. Failures → exit 2. */
export async function readInput(io: CliIo, path: string | null): Promise<Uint8Array> {
  if (path === null) {
    try {
      return await readAll(io.stdin)
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err), ExitCode.CouldNotReadInputFile, { cause: err })
    }
  }
  try {
    return await readFileBytes(path)
  } catch (err) {
    throw new CliError(`Error reading file: ${err instanceof Error ? err.message : String(err)}`, ExitCode.CouldNotReadInputFile, { cause: err })
  }
}

/** Where a command's result goes. */
export interface OutputTarget {
  /** Write back over this file (atomic, mode kept). */
  readonly inPlace?: string
  /** `--output` file (created or truncated, as sops does). */
  readonly output?: string
}

/** Writes the result to the in-place file, the `--output` file, or stdout. Failures → exit 3. */
export async function writeResult(io: CliIo, data: Uint8Array, target: OutputTarget): Promise<void> {
  if (target.inPlace !== undefined) {
    try {
      await writeFileAtomic(target.inPlace, data)
    } catch (err) {
      throw new CliError(`Could not open in-place file for writing: ${message(err)}`, ExitCode.CouldNotWriteOutputFile, { cause: err })
    }
    return
  }
  if (target.output !== undefined && target.output !== "") {
    try {
      // Atomic like in-place writes; a new file is 0600 since it may hold plaintext.
      await writeFileAtomic(absPath(io, target.output), data, { mode: 0o600 })
    } catch (err) {
      throw new CliError(`Could not open output file for writing: ${message(err)}`, ExitCode.CouldNotWriteOutputFile, { cause: err })
    }
    return
  }
  io.stdout.write(data)
}

/** The message of any thrown value. */
export function message(err: unknown): string {
  if (err instanceof SopsError || err instanceof Error) return err.message
  return String(err)
}

/** Warns like sops when more positional arguments were given than are used. */
export function warnExtraArgs(io: CliIo, positionals: readonly string[], used: number): void {
  if (positionals.length > used) {
    say(io, `[WARN] More than ${used === 1 ? "one positional argument" : `${used} positional arguments`} provided. Only the first ${used === 1 ? "one" : used} will be used!`)
    const flagLike = positionals.slice(used).find((a) => a.startsWith("-"))
    if (flagLike) say(io, `[WARN] "${flagLike}" comes after the file and is ignored: flags must come before positional arguments`)
  }
}
