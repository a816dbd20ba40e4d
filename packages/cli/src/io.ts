/**
 * The process boundary of the CLI, as an object: tests pass fakes, `bin.ts` passes the
 * process's own streams. The CLI reads the environment and the working directory only from
 * here, so a test never sees the developer's keys.
 * @module
 */
import { SopsError, concatBytes } from "@sops-ts/core"

/** Something the CLI can write bytes or text to. */
export interface CliWritable {
  write(chunk: Uint8Array | string): unknown
}

/** The streams, environment and working directory a CLI run uses. */
export interface CliIo {
  /** Standard input (read only when a command needs it). */
  readonly stdin: AsyncIterable<Uint8Array | string>
  readonly stdout: CliWritable
  readonly stderr: CliWritable
  /** The environment: `SOPS_*`, `HOME`, `EDITOR`, ... */
  readonly env: Readonly<Record<string, string | undefined>>
  /** The working directory (relative paths and `.sops.yaml` discovery start here). */
  readonly cwd: string
  /**
   * When true, child processes (editor, exec-env, exec-file) share the real terminal
   * (stdio inherited). `bin.ts` sets it; tests leave it off, so child output is piped into
   * `stdout`/`stderr`.
   */
  readonly inheritStdio?: boolean
}

/** Reads the whole of standard input. @throws SopsError `ERR_IO` */
export async function readAll(input: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  try {
    for await (const chunk of input) chunks.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk)
  } catch (cause) {
    throw new SopsError("ERR_IO", `Error reading from stdin: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
  return concatBytes(chunks)
}

/** Writes one line (adds `\n`) to stderr. */
export function say(io: CliIo, line: string): void {
  io.stderr.write(line.endsWith("\n") ? line : line + "\n")
}
