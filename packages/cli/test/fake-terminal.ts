/**
 * A fake controlling terminal for prompt tests: what is typed arrives on the next tick, what
 * the prompt shows is collected, and raw-mode switches are recorded (raw mode is how the
 * prompts keep PINs and passphrases off the screen).
 */
import { PassThrough } from "node:stream"
import type { PromptTerminal } from "../src/plugin-prompt.js"

/** A fake terminal, with what it showed, its raw-mode switches and whether it was closed. */
export interface FakeTerminal extends PromptTerminal {
  readonly input: PassThrough & { setRawMode(mode: boolean): void }
  /** Everything written to the terminal so far. */
  shown(): string
  readonly rawModes: boolean[]
  closed: boolean
}

/** A terminal on which `typed` is typed right after the prompt opens it. */
export function fakeTerminal(typed: string): FakeTerminal {
  const rawModes: boolean[] = []
  const input = Object.assign(new PassThrough(), { setRawMode: (m: boolean) => void rawModes.push(m) })
  const output = new PassThrough()
  const chunks: string[] = []
  output.on("data", (c: Buffer) => chunks.push(c.toString()))
  const term: FakeTerminal = {
    input,
    output,
    rawModes,
    closed: false,
    shown: () => chunks.join(""),
    close() {
      term.closed = true
    },
  }
  setImmediate(() => input.write(typed))
  return term
}
