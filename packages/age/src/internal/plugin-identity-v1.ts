/**
 * The `identity-v1` state machine of the age plugin protocol, client side: asks a plugin to
 * unwrap the file key of one age file with one plugin identity.
 *
 * Phase 1 (client → plugin): `add-identity <identity>`, then `recipient-stanza 0 <type>
 * <args…>` for every stanza of the header (plugins ignore the types they do not know), then
 * `done`. Phase 2 (the plugin leads): `file-key 0` (body: the file key) → `ok`; `error …` →
 * `ok`, then the unwrap fails; `msg`/`confirm`/`request-*` → the prompt handler; anything
 * else → `unsupported`; `done` ends it. No `file-key` means the identity does not match.
 * @module
 */
import { PluginConnection, PluginSessionError } from "./plugin-process.js"
import { handleInteractive } from "./plugin-prompt.js"
import { describePluginError, parseFileIndex } from "./plugin-stanza.js"
import type { PluginRunOptions } from "./plugin-types.js"

export { PluginSessionError }

/** age file keys are 16 bytes. */
const FILE_KEY_SIZE = 16

/**
 * Runs `age-plugin-<plugin> --age-plugin=identity-v1` with `identity` over `stanzas`.
 * @param binary - `age-plugin-<plugin>`, from the validated plugin name
 * @param stanzas - every stanza of the header (the type is the first argument)
 * @returns the file key, or null when the plugin found no stanza for this identity
 * @throws PluginSessionError `not-found`, `aborted`, `timeout` or `failed` (with the
 *   plugin's own error message when it sent one)
 */
export async function unwrapWithPlugin(
  plugin: string,
  binary: string,
  identity: string,
  stanzas: readonly { readonly args: readonly string[]; readonly body: Uint8Array }[],
  options: PluginRunOptions,
): Promise<Uint8Array | null> {
  const conn = await PluginConnection.open(plugin, binary, "identity-v1", options)
  try {
    conn.send("add-identity", [identity])
    for (const s of stanzas) conn.send("recipient-stanza", ["0", ...s.args], s.body)
    conn.send("done")
    return await phase2(conn, options)
  } finally {
    conn.close()
  }
}

async function phase2(conn: PluginConnection, options: PluginRunOptions): Promise<Uint8Array | null> {
  let fileKey: Uint8Array | null = null
  try {
    for (;;) {
      const s = await conn.receive()
      switch (s.type) {
        case "file-key":
          if (s.args.length !== 1 || parseFileIndex(s.args[0]!) !== 0 || s.body.length !== FILE_KEY_SIZE) {
            s.body.fill(0)
            throw new PluginSessionError("failed", `${conn.binary} broke the plugin protocol: malformed file-key command`)
          }
          if (fileKey !== null) throw new PluginSessionError("failed", `${conn.binary} broke the plugin protocol: more than one file key`)
          fileKey = s.body
          conn.send("ok")
          break
        case "error":
          conn.send("ok")
          throw new PluginSessionError("failed", `${conn.binary} ${describePluginError(s)}`)
        case "done":
          return fileKey
        default:
          if (!(await handleInteractive(conn, s, options.onPrompt))) conn.send("unsupported")
      }
    }
  } catch (err) {
    fileKey?.fill(0)
    throw err
  }
}
