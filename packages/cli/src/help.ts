/**
 * `--help` text for the top level and every subcommand, generated from the flag tables.
 * @module
 */
import type { FlagSpec } from "./args.js"
import { COMMAND_FLAGS, GLOBAL_FLAGS } from "./flags.js"

/** One-line usage and summary of each subcommand. */
export const COMMANDS: Readonly<Record<string, { readonly usage: string; readonly summary: string }>> = {
  decrypt: { usage: "decrypt [options] [file]", summary: "decrypt a file and print the result (stdin when no file is given)" },
  encrypt: { usage: "encrypt [options] [file]", summary: "encrypt a file and print the result (stdin needs --filename-override)" },
  rotate: { usage: "rotate [options] file", summary: "generate a new data key, re-encrypt every value, optionally add/remove master keys" },
  edit: { usage: "edit [options] file", summary: "edit a file in $SOPS_EDITOR/$EDITOR, re-encrypting it on save" },
  set: { usage: "set [options] file index value", summary: "set a value at a tree path (value is JSON)" },
  unset: { usage: "unset [options] file index", summary: "remove a key or list element at a tree path" },
  filestatus: { usage: "filestatus [options] file", summary: 'print {"encrypted":true|false}' },
  updatekeys: { usage: "updatekeys [options] file...", summary: "update a file's master keys from the matching .sops.yaml creation rule" },
  "exec-env": { usage: "exec-env [options] file command", summary: "run a command with the decrypted values in its environment" },
  "exec-file": { usage: "exec-file [options] file command", summary: "run a command with {} replaced by a path to the decrypted file" },
  "groups add": { usage: "groups add [options] --file file", summary: "add a key group to a file" },
  "groups delete": { usage: "groups delete [options] --file file index", summary: "delete a key group from a file" },
  keyservice: { usage: "keyservice [options]", summary: "serve this machine's keys to remote sops clients over gRPC" },
  rekey: { usage: "rekey [options] path|dir|glob...", summary: "update, rotate, add/remove or migrate the keys of many files at once" },
  audit: { usage: "audit [options] [directory]", summary: "audit a repository's sops files: inventory, policy findings, reports" },
  completion: { usage: "completion bash|zsh", summary: "print a shell completion script (source <(sops-ts completion bash))" },
}

function flagLines(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const names = [s.name, ...(s.aliases ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(", ")
      const value = s.kind === "bool" ? "" : s.kind === "int" ? " N" : " value"
      const env = s.env ? ` [$${s.env}]` : ""
      return `   ${`${names}${value}`.padEnd(40)} ${s.help}${env}`
    })
    .join("\n")
}

/** Help for the top level. */
export function topHelp(): string {
  const cmds = Object.entries(COMMANDS)
    .filter(([name]) => !name.startsWith("groups "))
    .map(([name, c]) => `   ${name.padEnd(14)} ${c.summary}`)
  cmds.push(`   ${"groups".padEnd(14)} add or delete key groups (groups add, groups delete)`)
  return `NAME:
   sops-ts - sops-compatible secrets encryption (YAML, JSON, ENV, INI and binary) with age, PGP and cloud KMS keys

USAGE:
   sops-ts [global options] command [command options] [arguments...]
   sops-ts [global options] file          (legacy form: -d, -e, -r, --set, or edit)

COMMANDS:
${cmds.join("\n")}

GLOBAL OPTIONS:
${flagLines(GLOBAL_FLAGS)}

Exit codes follow sops (e.g. 100 file not found, 51 MAC mismatch, 128 could not retrieve key).
`
}

/** Help for one subcommand. */
export function commandHelp(name: string): string {
  const c = COMMANDS[name]
  const specs = COMMAND_FLAGS[name] ?? []
  if (!c) return topHelp()
  return `NAME:
   sops-ts ${name} - ${c.summary}

USAGE:
   sops-ts ${c.usage}

OPTIONS:
${flagLines(specs)}
`
}
