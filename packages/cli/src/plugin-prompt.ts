/**
 * Terminal prompts for age plugins: messages go to stderr, and a plugin asking for a PIN or a
 * confirmation is answered from the controlling terminal (`/dev/tty`), as sops does. Reading
 * the terminal rather than stdin keeps `sops-ts -d file | …` and `… | sops-ts -e /dev/stdin`
 * working while a YubiKey asks for its PIN. Without a terminal (CI), requests fail and the
 * plugin reports its own error.
 * @module
 */
import { openSync } from "node:fs"
import { ReadStream, WriteStream } from "node:tty"
import type { AgePluginAnswer, AgePluginPrompt, AgePluginPromptHandler } from "@sops-ts/age"

/** A terminal to ask on. */
export interface PromptTerminal {
  readonly input: NodeJS.ReadableStream & { setRawMode?(mode: boolean): unknown }
  readonly output: NodeJS.WritableStream
  /** Releases the terminal. */
  close(): void
}

/** Where prompts go: the terminal opener and the stream for messages. */
export interface PluginPromptOptions {
  /** Stream for plugin messages (stderr). */
  readonly messages: { write(text: string): unknown }
  /** Opens the terminal for a question, or returns null when there is none (default: `/dev/tty`). */
  readonly openTerminal?: () => PromptTerminal | null
}

/** Opens `/dev/tty` for reading and writing; null when the process has no terminal. */
export function openControllingTerminal(): PromptTerminal | null {
  let fd: number
  try {
    fd = openSync("/dev/tty", "r+")
  } catch {
    return null
  }
  const input = new ReadStream(fd)
  const output = new WriteStream(fd)
  return {
    input,
    output,
    close() {
      input.setRawMode(false)
      // Destroying the read side closes the shared descriptor once.
      input.destroy()
    },
  }
}

const CTRL_C = 0x03
const CTRL_D = 0x04
const BACKSPACE = 0x7f
const CTRL_H = 0x08

/**
 * Reads one line from `term`. With `secret`, the terminal is put in raw mode so nothing is
 * echoed; backspace edits, Ctrl-C and Ctrl-D cancel (null).
 */
export function readLine(term: PromptTerminal, secret: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    const chars: string[] = []
    const input = term.input
    const finish = (value: string | null): void => {
      input.removeListener("data", onData)
      input.removeListener("end", onEnd)
      input.pause()
      if (secret) term.output.write("\n")
      resolve(value)
    }
    const onEnd = (): void => finish(null)
    const onData = (data: Buffer | string): void => {
      const text = typeof data === "string" ? data : data.toString("utf8")
      for (const ch of text) {
        const code = ch.charCodeAt(0)
        if (ch === "\r" || ch === "\n") return finish(chars.join(""))
        if (code === CTRL_C || code === CTRL_D) return finish(null)
        if (code === BACKSPACE || code === CTRL_H) chars.pop()
        else chars.push(ch)
      }
    }
    if (secret) input.setRawMode?.(true)
    input.on("data", onData)
    input.on("end", onEnd)
    input.resume()
  })
}

/** The question printed for a prompt. */
function question(p: Exclude<AgePluginPrompt, { type: "msg" }>): string {
  if (p.type === "confirm") return `[age-plugin-${p.plugin}] ${p.message} [${p.yes}${p.no === undefined ? "" : `/${p.no}`}]: `
  return `[age-plugin-${p.plugin}] ${p.message}: `
}

/**
 * A prompt handler for `ageKeyService({ onPluginPrompt })` that talks to the user's terminal.
 * A confirmation counts as "yes" only for the plugin's "yes" label (or `y`/`yes`).
 */
export function terminalPluginPrompt(options: PluginPromptOptions): AgePluginPromptHandler {
  const open = options.openTerminal ?? openControllingTerminal
  return async (p): Promise<AgePluginAnswer> => {
    if (p.type === "msg") {
      options.messages.write(`[age-plugin-${p.plugin}] ${p.message}\n`)
      return
    }
    const term = open()
    if (term === null) return null
    try {
      term.output.write(question(p))
      const line = await readLine(term, p.type === "request-secret")
      if (line === null) return null
      if (p.type !== "confirm") return line
      const answer = line.trim().toLowerCase()
      if (answer === p.yes.toLowerCase() || answer === "y" || answer === "yes") return true
      return false
    } finally {
      term.close()
    }
  }
}
