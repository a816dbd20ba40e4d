/**
 * The text of `docs/cli.md`: prose that does not change with the code, plus the exit-code
 * table, the environment-variable table and the real `--help` output of every command. Both
 * `tools/gen-cli-docs.mjs` (which writes the file from the built executable) and the drift
 * test (which runs the CLI in-process) call {@link renderCliReference}, so the page cannot
 * disagree with what the CLI prints.
 * @module
 */
import { ExitCode } from "./exit-codes.js"
import { COMMAND_FLAGS, GLOBAL_FLAGS } from "./flags.js"
import { COMMANDS } from "./help.js"

/** Runs the CLI with `argv` and returns what it printed on stdout. */
export type HelpRunner = (argv: readonly string[]) => Promise<string>

/** The argument lists whose `--help` output the reference shows, top level first. */
export const HELP_INVOCATIONS: readonly (readonly string[])[] = [
  ["--help"],
  ...Object.keys(COMMANDS).map((name) => [...name.split(" "), "--help"]),
]

/** What each exit code means to a caller, by sops' Go name. */
const EXIT_MEANINGS: Readonly<Record<keyof typeof ExitCode, string>> = {
  Ok: "success",
  ErrorGeneric: "any other error: bad flag or argument, config error, key group errors, a child that could not start",
  CouldNotReadInputFile: "the file or stdin could not be read, or the plaintext could not be parsed on encrypt",
  CouldNotWriteOutputFile: "the `--output`, in-place or temporary file could not be written",
  ErrorDumpingTree: "the result cannot be written in the output format (e.g. a nested value in dotenv)",
  ErrorReadingConfig: "defined by sops, not used",
  ErrorInvalidKMSEncryptionContextFormat: "bad `--encryption-context`",
  ErrorInvalidSetFormat: "bad `set`/`unset`/`--set` path or value",
  ErrorConflictingParameters: "`-i` with `--output` or stdin, stdin without `--filename-override` on encrypt, `--same-process` with `--background`",
  ErrorEncryptingMac: "the MAC could not be encrypted",
  ErrorEncryptingTree: "a value could not be encrypted",
  ErrorDecryptingMac: "defined by sops, not used",
  ErrorDecryptingTree: "a value could not be decrypted (bad ciphertext, wrong data key)",
  CannotChangeKeysFromNonExistentFile: "`--add-*`/`--rm-*` on a file that does not exist",
  MacMismatch: "the MAC does not match the values (the file was changed outside sops)",
  MacNotFound: "the file has no MAC",
  ConfigFileNotFound: "no `.sops.yaml` found where one is required",
  KeyboardInterrupt: "interrupted by the user",
  InvalidTreePathFormat: "bad `--extract` path",
  NeedAtLeastOneDocument: "the input has no document",
  NoFileSpecified: "the file does not exist or none was given",
  NoEncryptionKeyFound: "no master key to encrypt with",
  DuplicateDecryptionKeyType: "a key type appears twice in `--decryption-order`",
  CouldNotRetrieveKey: "no master key could decrypt the data key",
  FileHasNotBeenModified: "`edit`: the file was saved without changes",
  NoEditorFound: "`edit`: no editor found, or the editor failed",
  FailedToCompareVersions: "defined by sops, not used",
  FileAlreadyEncrypted: "`encrypt`: the file already has sops metadata",
}

/** Variables that are not bound to a flag but change what the CLI does. */
const OTHER_ENV: readonly (readonly [string, string])[] = [
  ["SOPS_AGE_KEY", "age identities (one per line) used to decrypt"],
  ["SOPS_AGE_KEY_FILE", "a file of age identities (default `$XDG_CONFIG_HOME/sops/age/keys.txt`, i.e. `~/.config/sops/age/keys.txt`)"],
  ["SOPS_AGE_KEY_CMD", "a command whose output is age identities"],
  ["SOPS_AGE_SSH_PRIVATE_KEY_FILE", "an SSH private key used as an age identity (default `~/.ssh/id_ed25519`, then `~/.ssh/id_rsa`); a passphrase-protected key asks for its passphrase on the terminal when a file needs it"],
  ["SOPS_AGE_SSH_PRIVATE_KEY_CMD", "a command whose output is an SSH private key used as an age identity"],
  ["GNUPGHOME", "the GnuPG home directory used for PGP keys"],
  ["SOPS_GPG_EXEC", "the gpg executable (default `gpg`)"],
  ["SOPS_EDITOR, EDITOR", "the editor of `edit` (split like a shell command line); default: the first of vim, nano, vi on `PATH`"],
  ["TMPDIR", "where `edit` and `exec-file` create their private temporary directories"],
]

function fence(text: string): string {
  return "```text\n" + text.replace(/\n+$/, "") + "\n```"
}

function exitCodeTable(): string {
  const rows = (Object.entries(ExitCode) as [keyof typeof ExitCode, number][])
    .sort((a, b) => a[1] - b[1])
    .map(([name, code]) => `| ${code} | ${name} | ${EXIT_MEANINGS[name]} |`)
  return ["| code | sops name | meaning |", "|---|---|---|", ...rows].join("\n")
}

function envTable(): string {
  const byVar = new Map<string, Set<string>>()
  for (const spec of [...GLOBAL_FLAGS, ...Object.values(COMMAND_FLAGS).flat()]) {
    if (spec.env === undefined) continue
    const flags = byVar.get(spec.env) ?? new Set<string>()
    flags.add(`--${spec.name}`)
    byVar.set(spec.env, flags)
  }
  const rows = [...byVar.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([name, flags]) => `| \`${name}\` | default of ${[...flags].map((f) => `\`${f}\``).join(", ")} |`)
  const other = OTHER_ENV.map(([name, what]) => `| ${name.split(", ").map((n) => `\`${n}\``).join(", ")} | ${what} |`)
  return ["| variable | effect |", "|---|---|", ...rows, ...other].join("\n")
}

const DROP_IN = `## Using sops-ts in place of sops (helm-secrets and scripts)

\`sops-ts\` accepts sops' flags, including the legacy top-level form (\`-d\`, \`-e\`, \`-r\`, \`-i\`,
\`--output\`, \`--input-type\`, \`--output-type\`, no subcommand = edit), reads \`/dev/stdin\` as
a path, logs only to stderr, and exits with sops' exit codes. \`sops-ts --version\` prints sops'
version line first (\`sops 3.13.2 (sops-ts ...)\`) for scripts that parse it.

helm-secrets runs the binary named by \`HELM_SECRETS_SOPS_PATH\` (or \`HELM_SECRETS_SOPS_BIN\`),
default \`sops\`. Point it at sops-ts:

\`\`\`sh
export HELM_SECRETS_SOPS_PATH="$(command -v sops-ts)"
helm secrets upgrade my-release ./chart -f secrets.yaml
\`\`\`

or put a link named \`sops\` early on \`PATH\` (\`ln -s "$(command -v sops-ts)" ~/bin/sops\`).
These are the calls helm-secrets makes; each is covered by a process-level test of the
built executable:

\`\`\`sh
sops-ts --encrypt --input-type yaml --output-type yaml --in-place secrets.yaml
sops-ts --decrypt --input-type yaml --output-type yaml --output secrets.dec.yaml secrets.yaml
printf '%s' "$value" | sops-ts --decrypt --input-type json --output-type json /dev/stdin
sops-ts --input-type yaml --output-type yaml secrets.yaml     # edit in $EDITOR
\`\`\`
`

const COMPLETION = `## Shell completion

\`\`\`sh
source <(sops-ts completion bash)      # bash: add to ~/.bashrc
source <(sops-ts completion zsh)       # zsh: add to ~/.zshrc (after compinit)
sops-ts completion zsh > "\${fpath[1]}/_sops-ts"   # zsh: or install as an autoloaded function
\`\`\`

The scripts complete subcommands, each subcommand's flags, the values of \`--input-type\` and
\`--output-type\`, and file names. They are generated from the same flag tables as \`--help\`.
`

const EXEC = `## Secrets in child processes

\`exec-env\` passes the decrypted values to the command only through its environment, and
\`exec-file\` only through a FIFO (default) or, with \`--no-fifo\`, a mode-0600 file in a private
temporary directory that is removed when the command ends. Neither writes plaintext anywhere
else. The command's exit status is passed through (128 + the signal number if it was killed),
and SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to sops-ts are forwarded to it.
`

/** Renders `docs/cli.md` from the given help runner (the built executable or an in-process run). */
export async function renderCliReference(help: HelpRunner): Promise<string> {
  const sections: string[] = []
  for (const argv of HELP_INVOCATIONS) {
    const name = argv.slice(0, -1).join(" ")
    const title = name === "" ? "`sops-ts` (global options and the legacy form)" : `\`sops-ts ${name}\``
    sections.push(`### ${title}\n\n${fence(await help(argv))}\n`)
  }
  return `# The \`sops-ts\` command

<!-- Generated by \`node tools/gen-cli-docs.mjs\` from the --help output of the built CLI.
     Do not edit by hand: packages/cli/test/docs.test.ts fails when this file drifts. -->

\`sops-ts\` is a sops-compatible command line: same subcommands, flags, \`.sops.yaml\`, key
sources and exit codes as sops 3.13. Global flags go before the subcommand, the subcommand's
flags after it, and all flags before the first file argument.

${DROP_IN}
${EXEC}
${COMPLETION}
## Exit codes

Errors print one line on stderr (add \`--verbose\` for causes and stack traces) and exit with
sops' code for the failure:

${exitCodeTable()}

A child of \`exec-env\`/\`exec-file\` that fails passes its own status through instead.

## Environment variables

${envTable()}

Cloud key providers read their usual credentials; see [providers/](providers/).

## Command reference

The \`--help\` output of every command.

${sections.join("\n")}`
}
