/**
 * The interactive commands a plugin may send in phase 2 of either state machine (`msg`,
 * `confirm`, `request-public`, `request-secret`), routed to the caller's prompt handler.
 * Without a handler, or when it declines, the client answers `fail` (the spec's answer for
 * "there is no UI"), and the plugin decides whether it can go on. What the user types is
 * written to the plugin's stdin only, never logged.
 * @module
 */
import { PluginSessionError, type PluginConnection } from "./plugin-process.js"
import { decodeRawBase64, type PluginStanza } from "./plugin-stanza.js"
import type { AgePluginAnswer, AgePluginPrompt, AgePluginPromptHandler } from "./plugin-types.js"

const INTERACTIVE = new Set(["msg", "confirm", "request-public", "request-secret"])

function utf8(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes)
}

/**
 * The prompt a stanza asks for.
 * @throws PluginSessionError for a `confirm` whose choices are not valid base64
 */
function promptOf(conn: PluginConnection, s: PluginStanza): AgePluginPrompt {
  const message = utf8(s.body)
  const plugin = conn.plugin
  switch (s.type) {
    case "msg":
      return { type: "msg", plugin, message }
    case "request-public":
      return { type: "request-public", plugin, message }
    case "request-secret":
      return { type: "request-secret", plugin, message }
    default: {
      // confirm: Base64(YES) [Base64(NO)]
      const yes = s.args.length === 1 || s.args.length === 2 ? decodeRawBase64(s.args[0]!) : null
      const no = s.args.length === 2 ? decodeRawBase64(s.args[1]!) : undefined
      if (yes === null || no === null) {
        throw new PluginSessionError("failed", `${conn.binary} broke the plugin protocol: malformed confirm command`)
      }
      return { type: "confirm", plugin, message, yes: utf8(yes), no: no === undefined ? undefined : utf8(no) }
    }
  }
}

async function ask(handler: AgePluginPromptHandler, prompt: AgePluginPrompt): Promise<AgePluginAnswer> {
  try {
    return await handler(prompt)
  } catch {
    // The handler's failure is the user's "no answer": the plugin hears `fail`.
    return null
  }
}

/** Sends the answer to `prompt` that `answer` stands for. */
function reply(conn: PluginConnection, prompt: AgePluginPrompt, answer: AgePluginAnswer): void {
  switch (prompt.type) {
    case "msg":
      conn.send(answer === false || answer === null ? "fail" : "ok")
      return
    case "confirm":
      if (typeof answer === "boolean") conn.send("ok", [answer ? "yes" : "no"])
      else conn.send("fail")
      return
    default:
      if (typeof answer === "string") conn.send("ok", [], new TextEncoder().encode(answer))
      else conn.send("fail")
  }
}

/**
 * Handles `s` if it is an interactive command, and answers it.
 * @returns false when `s` is not interactive (the caller handles or refuses it)
 * @throws PluginSessionError for a malformed request, or when aborted during the prompt
 */
export async function handleInteractive(conn: PluginConnection, s: PluginStanza, handler: AgePluginPromptHandler | undefined): Promise<boolean> {
  if (!INTERACTIVE.has(s.type)) return false
  const prompt = promptOf(conn, s)
  if (handler === undefined) {
    conn.send("fail")
    return true
  }
  const answer = await conn.interact(() => ask(handler, prompt))
  reply(conn, prompt, answer)
  return true
}
