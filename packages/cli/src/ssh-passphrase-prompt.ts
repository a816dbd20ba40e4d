/**
 * The terminal prompt for passphrase-protected SSH keys (`~/.ssh/id_ed25519`,
 * `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, ...), as sops 3.10+ asks it (`age/ssh_parse.go`):
 * `Enter passphrase for "<path>": ` on the controlling terminal, read without echo. The age
 * key service asks only when a file has a stanza for the key, and once per run. Without a
 * terminal (CI, no `/dev/tty`) there is no passphrase: the key counts as "not my key", so
 * other identities and key services are still tried.
 * @module
 */
import type { SshPassphraseCallback, SshPassphraseRequest } from "@sops-ts/age"
import { openControllingTerminal, readLine, type PromptTerminal } from "./plugin-prompt.js"

/** Options of {@link terminalSshPassphrase}. */
export interface SshPassphrasePromptOptions {
  /** Opens the terminal to ask on, or returns null when there is none (default: `/dev/tty`). */
  readonly openTerminal?: () => PromptTerminal | null
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
}

/**
 * Go's `%q` (strconv.Quote) for the characters a path may hold: control characters are
 * escaped, so a file name cannot send escape sequences to the terminal.
 */
function goQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === '"' || ch === "\\") out += `\\${ch}`
    else if (c < 0x20 || c === 0x7f) out += SHORT_ESCAPES[ch] ?? `\\x${c.toString(16).padStart(2, "0")}`
    else if (c >= 0x80 && c <= 0x9f) out += `\\u${c.toString(16).padStart(4, "0")}`
    else out += ch
  }
  return `${out}"`
}

/** The question, as sops prints it (`Enter passphrase for %q:` and age's trailing space). */
export function sshPassphraseQuestion(request: SshPassphraseRequest): string {
  return `Enter passphrase for ${goQuote(request.path ?? request.publicKey)}: `
}

/**
 * An `onSshPassphrase` callback for `ageKeyService` that asks on the user's terminal.
 * Returns null (no passphrase) without a terminal, or when the user cancels (Ctrl-C, Ctrl-D).
 */
export function terminalSshPassphrase(options: SshPassphrasePromptOptions = {}): SshPassphraseCallback {
  const open = options.openTerminal ?? openControllingTerminal
  return async (request) => {
    const term = open()
    if (term === null) return null
    try {
      term.output.write(sshPassphraseQuestion(request))
      return await readLine(term, true)
    } finally {
      term.close()
    }
  }
}
