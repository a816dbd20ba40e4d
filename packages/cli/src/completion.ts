/**
 * `sops-ts completion bash|zsh`: shell completion scripts generated from the same command and
 * flag tables as `--help`, so a flag added to `flags.ts` is completed without further work.
 * @module
 */
import type { FlagSpec } from "./args.js"
import { CliError, ExitCode } from "./exit-codes.js"
import { COMMAND_FLAGS, GLOBAL_FLAGS } from "./flags.js"
import { COMMANDS } from "./help.js"
import type { CommandContext } from "./context.js"

/** The shells `completion` knows. */
export const COMPLETION_SHELLS = ["bash", "zsh"] as const

/** Values offered after `--input-type` / `--output-type`. */
const FORMATS = "json yaml dotenv ini binary"
const TYPE_FLAGS = new Set(["input-type", "output-type"])

/** Command words as typed at the top level (`groups add` is typed as `groups`, then `add`). */
function topWords(): string[] {
  const words = new Set<string>()
  for (const name of Object.keys(COMMANDS)) words.add(name.split(" ")[0]!)
  words.add("help")
  return [...words]
}

/** Every spelling of a flag, long first (`--in-place`, `-i`). */
function spellings(spec: FlagSpec): string[] {
  return [spec.name, ...(spec.aliases ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`))
}

/** The flags of a completion context: "" = before any subcommand (the global flags). */
function flagTable(): Array<{ key: string; specs: readonly FlagSpec[] }> {
  return [{ key: "", specs: GLOBAL_FLAGS }, ...Object.keys(COMMANDS).map((key) => ({ key, specs: COMMAND_FLAGS[key] ?? [] }))]
}

function valueSpellings(specs: readonly FlagSpec[], pick: (s: FlagSpec) => boolean): string {
  return specs
    .filter((s) => s.kind !== "bool" && pick(s))
    .flatMap(spellings)
    .join(" ")
}

/** Shell single-quoting (`'` becomes `'\''`), valid in bash and zsh. */
function sq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/** A `case` over the completion contexts returning one word list per context. */
function caseOver(fn: string, value: (specs: readonly FlagSpec[]) => string): string {
  const arms = flagTable().map(({ key, specs }) => `    ${sq(key)}) echo ${sq(value(specs))} ;;`)
  return `${fn}() {\n  case "$1" in\n${arms.join("\n")}\n  esac\n}`
}

/** The shared part: finding the subcommand among the words before the cursor. */
function findCommand(wordsVar: string, first: number, current: string): string {
  return `  local cmd="" w i=${first}
  while (( i < ${current} )); do
    w="\${${wordsVar}[i]}"
    if [[ -z "$cmd" ]]; then
      case "$w" in
        -*=*) ;;
        -*) [[ " $(_sops_ts_value_flags "") " == *" $w "* ]] && (( i++ )) ;;
        *) cmd="$w" ;;
      esac
    elif [[ "$cmd" == groups && ( "$w" == add || "$w" == delete ) ]]; then
      cmd="groups $w"
    else
      case "$w" in
        -*=*) ;;
        -*) [[ " $(_sops_ts_value_flags "$cmd") " == *" $w "* ]] && (( i++ )) ;;
      esac
    fi
    (( i++ ))
  done`
}

/** The bash completion script (`source <(sops-ts completion bash)`). */
export function bashCompletion(): string {
  return `# bash completion for sops-ts. Load it with: source <(sops-ts completion bash)
# Generated from the flag tables of sops-ts; regenerate instead of editing.

${caseOver("_sops_ts_flags", (specs) => specs.flatMap(spellings).join(" "))}

${caseOver("_sops_ts_value_flags", (specs) => valueSpellings(specs, () => true))}

${caseOver("_sops_ts_type_flags", (specs) => valueSpellings(specs, (s) => TYPE_FLAGS.has(s.name)))}

_sops_ts_files() {
  compopt -o filenames 2>/dev/null
  local IFS=$'\\n'
  COMPREPLY+=( $(compgen -f -- "$1") )
}

_sops_ts() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev=""
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
${findCommand("COMP_WORDS", 1, "COMP_CWORD")}
  [[ "$cur" != -* ]] && case "$cmd" in
    groups) COMPREPLY=( $(compgen -W "add delete" -- "$cur") ); return 0 ;;
    completion) COMPREPLY=( $(compgen -W ${sq(COMPLETION_SHELLS.join(" "))} -- "$cur") ); return 0 ;;
    help) COMPREPLY=( $(compgen -W ${sq(topWords().join(" "))} -- "$cur") ); return 0 ;;
  esac
  if [[ -n "$prev" && " $(_sops_ts_type_flags "$cmd") " == *" $prev "* ]]; then
    COMPREPLY=( $(compgen -W ${sq(FORMATS)} -- "$cur") )
    return 0
  fi
  if [[ -n "$prev" && " $(_sops_ts_value_flags "$cmd") " == *" $prev "* ]]; then
    _sops_ts_files "$cur"
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$(_sops_ts_flags "$cmd")" -- "$cur") )
    return 0
  fi
  if [[ -z "$cmd" ]]; then
    COMPREPLY=( $(compgen -W ${sq(topWords().join(" "))} -- "$cur") )
  fi
  _sops_ts_files "$cur"
  return 0
}

complete -F _sops_ts sops-ts
`
}

/** `name:description` items for zsh's `_describe` (colons in the name escaped). */
function zshItems(items: Array<[string, string]>): string {
  return items.map(([n, d]) => sq(`${n.replaceAll(":", "\\:")}:${d}`)).join(" ")
}

/** The zsh completion script (`source <(sops-ts completion zsh)`, or saved as `_sops-ts` on `$fpath`). */
export function zshCompletion(): string {
  const commands = zshItems([
    ...Object.entries(COMMANDS)
      .filter(([n]) => !n.startsWith("groups "))
      .map(([n, c]): [string, string] => [n, c.summary]),
    ["groups", "add or delete key groups"],
    ["help", "show the help of a command"],
  ])
  const flagArms = flagTable().map(
    ({ key, specs }) => `    ${sq(key)}) flags=( ${zshItems(specs.flatMap((s) => spellings(s).map((n): [string, string] => [n, s.help])))} ) ;;`,
  )
  return `#compdef sops-ts
# zsh completion for sops-ts. Load it with: source <(sops-ts completion zsh)
# Generated from the flag tables of sops-ts; regenerate instead of editing.

${caseOver("_sops_ts_value_flags", (specs) => valueSpellings(specs, () => true))}

${caseOver("_sops_ts_type_flags", (specs) => valueSpellings(specs, (s) => TYPE_FLAGS.has(s.name)))}

_sops_ts() {
  local -a commands flags
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  commands=( ${commands} )
${findCommand("words", 2, "CURRENT")}
  [[ "$cur" != -* ]] && case "$cmd" in
    groups) compadd -- add delete; return ;;
    completion) compadd -- ${COMPLETION_SHELLS.join(" ")}; return ;;
    help) _describe -t commands 'sops-ts command' commands; return ;;
  esac
  if [[ " $(_sops_ts_type_flags "$cmd") " == *" $prev "* ]]; then
    compadd -- ${FORMATS}
    return
  fi
  if [[ " $(_sops_ts_value_flags "$cmd") " == *" $prev "* ]]; then
    _files
    return
  fi
  if [[ "$cur" == -* ]]; then
    case "$cmd" in
${flagArms.join("\n")}
    esac
    _describe -t options 'option' flags
    return
  fi
  if [[ -z "$cmd" ]]; then
    _describe -t commands 'sops-ts command' commands
  fi
  _files
}

if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _sops_ts "$@"
else
  compdef _sops_ts sops-ts
fi
`
}

/** Runs `completion bash|zsh`. */
export async function completionCommand(ctx: CommandContext): Promise<number> {
  const shell = ctx.positionals[0]
  if (shell === "bash") ctx.io.stdout.write(bashCompletion())
  else if (shell === "zsh") ctx.io.stdout.write(zshCompletion())
  else {
    throw new CliError(
      shell === undefined ? "error: completion needs a shell: bash or zsh" : `error: no completion for shell "${shell}": use bash or zsh`,
      ExitCode.ErrorGeneric,
    )
  }
  return ExitCode.Ok
}
