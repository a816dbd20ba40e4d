/**
 * The `recipient-v1` state machine of the age plugin protocol, client side: wraps one file
 * key for one plugin recipient.
 *
 * Phase 1 (client → plugin): `add-recipient <recipient>`, `wrap-file-key` (body: the file
 * key), `extension-labels`, `done`. Phase 2 (the plugin leads, the client answers each
 * command): `recipient-stanza 0 <type> <args…>` → `ok`; `labels …` → `ok`; `error …` → `ok`,
 * then the wrap fails; `msg`/`confirm`/`request-*` → the prompt handler; anything else →
 * `unsupported`; `done` ends it. Only one file key is sent, so every stanza's file index
 * must be 0, and at least one stanza must come back.
 * @module
 */
import { PluginConnection, PluginSessionError } from "./plugin-process.js"
import { handleInteractive } from "./plugin-prompt.js"
import { describePluginError, parseFileIndex } from "./plugin-stanza.js"
import type { PluginRunOptions } from "./plugin-types.js"

export { PluginSessionError }

function protocolError(conn: PluginConnection, what: string): PluginSessionError {
  return new PluginSessionError("failed", `${conn.binary} broke the plugin protocol: ${what}`)
}

/** A stanza for the age header: its arguments (the type first) and body. */
export interface WrappedStanza {
  readonly args: string[]
  readonly body: Uint8Array
}

/**
 * Runs `age-plugin-<plugin> --age-plugin=recipient-v1` to wrap `fileKey` for `recipient`.
 * @param binary - `age-plugin-<plugin>`, from the validated plugin name
 * @returns the stanzas to put in the age header
 * @throws PluginSessionError `not-found`, `aborted`, `timeout` or `failed` (with the
 *   plugin's own error message when it sent one)
 */
export async function wrapWithPlugin(
  plugin: string,
  binary: string,
  recipient: string,
  fileKey: Uint8Array,
  options: PluginRunOptions,
): Promise<WrappedStanza[]> {
  const conn = await PluginConnection.open(plugin, binary, "recipient-v1", options)
  try {
    conn.send("add-recipient", [recipient])
    conn.send("wrap-file-key", [], fileKey)
    conn.send("extension-labels")
    conn.send("done")
    return await phase2(conn, options)
  } finally {
    conn.close()
  }
}

async function phase2(conn: PluginConnection, options: PluginRunOptions): Promise<WrappedStanza[]> {
  const stanzas: WrappedStanza[] = []
  let labels = false
  for (;;) {
    const s = await conn.receive()
    switch (s.type) {
      case "recipient-stanza": {
        if (s.args.length < 2 || parseFileIndex(s.args[0]!) !== 0) throw protocolError(conn, "malformed recipient-stanza command")
        stanzas.push({ args: s.args.slice(1), body: s.body })
        conn.send("ok")
        break
      }
      case "labels":
        // sops stores one recipient per age file, so the label set constrains nothing here;
        // it is checked for well-formedness only.
        if (labels || new Set(s.args).size !== s.args.length) throw protocolError(conn, "repeated labels")
        labels = true
        conn.send("ok")
        break
      case "error":
        conn.send("ok")
        throw new PluginSessionError("failed", `${conn.binary} ${describePluginError(s)}`)
      case "done":
        if (stanzas.length === 0) throw protocolError(conn, "no recipient stanza was returned")
        return stanzas
      default:
        if (!(await handleInteractive(conn, s, options.onPrompt))) conn.send("unsupported")
    }
  }
}
