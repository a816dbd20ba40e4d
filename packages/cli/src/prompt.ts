/**
 * Line input from the run's stdin for interactive questions (updatekeys, edit).
 * @module
 */
import type { CliIo } from "./io.js"

/** Reads lines from stdin one at a time; null at end of input. */
export class LineReader {
  readonly #it: AsyncIterator<Uint8Array | string>
  #buf = ""
  #done = false

  /** @param io - the run's streams */
  constructor(io: CliIo) {
    this.#it = io.stdin[Symbol.asyncIterator]()
  }

  /** The next line without its newline, or null at end of input. */
  async line(): Promise<string | null> {
    for (;;) {
      const nl = this.#buf.indexOf("\n")
      if (nl !== -1) {
        const l = this.#buf.slice(0, nl).replace(/\r$/, "")
        this.#buf = this.#buf.slice(nl + 1)
        return l
      }
      if (this.#done) {
        if (this.#buf === "") return null
        const l = this.#buf
        this.#buf = ""
        return l
      }
      const r = await this.#it.next()
      if (r.done) this.#done = true
      else this.#buf += typeof r.value === "string" ? r.value : new TextDecoder().decode(r.value)
    }
  }
}
