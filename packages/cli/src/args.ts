/**
 * A flag parser with the rules of sops' CLI library (urfave/cli v1 over Go's `flag`):
 * `-name` and `--name` are the same flag, values follow as `--name=v` or `--name v`, booleans
 * take `--name=false`, parsing stops at the first positional argument or `--`, and a flag
 * may take its default from an environment variable.
 * @module
 */
import { CliError, ExitCode } from "./exit-codes.js"

/** The kind of value a flag takes. */
export type FlagKind = "bool" | "string" | "int" | "list"

/** One flag a command declares. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `input-type`. */
  readonly name: string
  /** Other names, e.g. `["i"]`. */
  readonly aliases?: readonly string[]
  readonly kind: FlagKind
  /** Environment variable that supplies the default (sops' `EnvVar`). */
  readonly env?: string
  /** Default value when neither the flag nor the variable is set. */
  readonly default?: string | boolean
  /** One-line help. */
  readonly help: string
}

/** Parsed flags: raw values by long name. */
export class Flags {
  readonly #values = new Map<string, string[]>()
  readonly #specs: ReadonlyMap<string, FlagSpec>
  readonly #explicit = new Set<string>()
  readonly #env: Readonly<Record<string, string | undefined>>

  /** @internal */
  constructor(specs: readonly FlagSpec[], env: Readonly<Record<string, string | undefined>>) {
    this.#specs = new Map(specs.map((s) => [s.name, s]))
    this.#env = env
  }

  /** @internal */
  add(name: string, value: string): void {
    const list = this.#values.get(name) ?? []
    list.push(value)
    this.#values.set(name, list)
    this.#explicit.add(name)
  }

  /** Whether the flag was given on the command line (not from the environment). */
  isSet(name: string): boolean {
    return this.#explicit.has(name)
  }

  /** Whether this command declares the flag. */
  declares(name: string): boolean {
    return this.#specs.has(name)
  }

  #raw(name: string): string | undefined {
    const given = this.#values.get(name)
    if (given !== undefined) return given[given.length - 1]
    const spec = this.#specs.get(name)
    if (spec === undefined) return undefined
    if (spec.env !== undefined) {
      const v = this.#env[spec.env]
      if (v !== undefined && v !== "") return v
    }
    if (spec.default !== undefined) return String(spec.default)
    return undefined
  }

  /** A string flag ("" when unset). */
  string(name: string): string {
    return this.#raw(name) ?? ""
  }

  /** A boolean flag. */
  bool(name: string): boolean {
    const v = this.#raw(name)
    return v !== undefined && parseBool(v, name)
  }

  /** An integer flag (0 when unset). */
  int(name: string): number {
    const v = this.#raw(name)
    if (v === undefined || v === "") return 0
    if (!/^[+-]?\d+$/.test(v)) throw new CliError(`invalid value "${v}" for flag --${name}: parse error`, ExitCode.ErrorGeneric)
    return Number(v)
  }

  /** A repeatable flag's values (an environment default is split on commas). */
  list(name: string): string[] {
    const given = this.#values.get(name)
    if (given !== undefined) return [...given]
    const spec = this.#specs.get(name)
    const v = spec?.env === undefined ? undefined : this.#env[spec.env]
    return v === undefined || v === "" ? [] : v.split(",")
  }
}

function parseBool(v: string, name: string): boolean {
  // Go's strconv.ParseBool.
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false
  throw new CliError(`invalid boolean value "${v}" for flag --${name}`, ExitCode.ErrorGeneric)
}

/** The result of {@link parseArgs}. */
export interface ParsedArgs {
  readonly flags: Flags
  /** Arguments after the flags. */
  readonly positionals: string[]
}

/**
 * Parses `argv` against `specs`, stopping at the first positional argument.
 * @param hint - appended to the "not defined" error (e.g. where the flag belongs)
 * @throws CliError (exit 1) for an unknown flag or a missing value
 */
export function parseArgs(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  env: Readonly<Record<string, string | undefined>>,
  hint?: (name: string) => string | undefined,
): ParsedArgs {
  const byName = new Map<string, FlagSpec>()
  for (const s of specs) {
    byName.set(s.name, s)
    for (const a of s.aliases ?? []) byName.set(a, s)
  }
  const flags = new Flags(specs, env)
  let i = 0
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") {
      i++
      break
    }
    if (arg === "-" || !arg.startsWith("-")) break
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1)
    const eq = body.indexOf("=")
    const name = eq === -1 ? body : body.slice(0, eq)
    const spec = byName.get(name)
    if (spec === undefined) {
      const extra = hint?.(name)
      throw new CliError(`flag provided but not defined: -${name}${extra ? ` (${extra})` : ""}`, ExitCode.ErrorGeneric)
    }
    if (spec.kind === "bool") {
      const v = eq === -1 ? "true" : body.slice(eq + 1)
      flags.add(spec.name, String(parseBool(v, spec.name)))
      continue
    }
    let value: string
    if (eq !== -1) value = body.slice(eq + 1)
    else {
      if (i + 1 >= argv.length) throw new CliError(`flag needs an argument: -${name}`, ExitCode.ErrorGeneric)
      value = argv[++i]!
    }
    flags.add(spec.name, value)
  }
  return { flags, positionals: argv.slice(i) }
}
