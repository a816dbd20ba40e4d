/**
 * Plugin recipients and identities as typage {@link Recipient} and {@link Identity} objects.
 * The protocol client (`plugin-recipient-v1.ts`, `plugin-identity-v1.ts`, which load
 * `node:child_process`) is imported on first use, so parsing keys and decrypting with native
 * identities load nothing of it.
 * @module
 */
import type { Identity, Recipient } from "age-encryption"
import { SopsError } from "@sops-ts/core"
import { Stanza } from "./format.js"
import { pluginBinaryName } from "./plugin-names.js"
import type { PluginSessionError as SessionError } from "./plugin-process.js"
import { DEFAULT_PLUGIN_TIMEOUT_MS, type PluginRunOptions } from "./plugin-types.js"

/** Stanza types of age itself, which no plugin can be needed for when a native identity of
 * that type is configured; `scrypt` (a passphrase) is never a plugin's. */
const NATIVE_TYPES = new Set(["X25519", "mlkem768x25519", "ssh-ed25519", "ssh-rsa"])

/** Run options for the public parse API: the process environment, default timeout, no UI. */
export function defaultPluginRunOptions(): PluginRunOptions {
  return { env: process.env, timeoutMs: DEFAULT_PLUGIN_TIMEOUT_MS }
}

/** A failure of one or more plugin identities that were asked to unwrap a file key. */
export class AgePluginFailure extends SopsError {
  constructor(message: string, cause?: unknown) {
    super("ERR_KEY_FAILED", message, cause === undefined ? undefined : { cause })
    this.name = "AgePluginFailure"
  }
}

function isSessionError(err: unknown): err is SessionError {
  return err instanceof Error && err.name === "PluginSessionError" && "kind" in err
}

/** Wraps file keys for an `age1<plugin>1…` recipient by running its plugin. */
export class PluginRecipient implements Recipient {
  /**
   * @param plugin - the validated plugin name (from the recipient's Bech32 prefix)
   * @param recipient - the recipient text, passed to the plugin as is
   * @param options - how to run the plugin
   */
  constructor(
    readonly plugin: string,
    readonly recipient: string,
    private readonly options: PluginRunOptions,
  ) {}

  /**
   * @throws SopsError `ERR_KEY_WRAP` naming the binary when it is missing, fails, times out
   *   or reports an error; `ERR_ABORTED` when the signal fires
   */
  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const binary = pluginBinaryName(this.plugin)
    const { wrapWithPlugin } = await import("./plugin-recipient-v1.js")
    try {
      const stanzas = await wrapWithPlugin(this.plugin, binary, this.recipient, fileKey, this.options)
      return stanzas.map((s) => new Stanza(s.args, s.body))
    } catch (err) {
      if (!isSessionError(err)) throw err
      if (err.kind === "aborted") throw new SopsError("ERR_ABORTED", `the age plugin ${err.message}`, { cause: this.options.signal?.reason })
      throw new SopsError("ERR_KEY_WRAP", err.message, { cause: err })
    }
  }
}

/** One plugin identity: its text, its plugin and where it was read from (for messages). */
export interface PluginIdentityEntry {
  readonly plugin: string
  readonly identity: string
  readonly source: string
}

/**
 * All plugin identities as one typage identity, asked after the native ones. Each identity
 * runs its plugin in turn (as age does, one process per identity) with every stanza of the
 * header, per the spec; the first file key wins. A missing binary is "not my key" (recorded
 * in {@link PluginIdentities.notes}); a plugin that fails does not stop the others, but if
 * none yields the key the failures are thrown as {@link AgePluginFailure}.
 */
export class PluginIdentities implements Identity {
  /** Why identities were skipped (missing binaries), for "no identity matched" messages. */
  readonly notes: string[] = []

  /**
   * @param entries - the plugin identities, in order
   * @param nativeTypes - stanza types that configured native identities already tried
   * @param options - how to run plugins
   */
  constructor(
    private readonly entries: readonly PluginIdentityEntry[],
    private readonly nativeTypes: ReadonlySet<string>,
    private readonly options: PluginRunOptions,
  ) {}

  /**
   * Whether any stanza could be a plugin's: one of a type age does not know, or a native type
   * no configured native identity has tried (a plugin may act for native keys, e.g. an agent).
   */
  private worthAsking(stanzas: readonly Stanza[]): boolean {
    return stanzas.some((s) => {
      const type = s.args[0]!
      if (type === "scrypt") return false
      return !(NATIVE_TYPES.has(type) && this.nativeTypes.has(type))
    })
  }

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    if (this.entries.length === 0 || !this.worthAsking(stanzas)) return null
    const { unwrapWithPlugin } = await import("./plugin-identity-v1.js")
    const failures: SessionError[] = []
    const sources: string[] = []
    for (const entry of this.entries) {
      try {
        const fileKey = await unwrapWithPlugin(entry.plugin, pluginBinaryName(entry.plugin), entry.identity, stanzas, this.options)
        if (fileKey !== null) return fileKey
      } catch (err) {
        if (!isSessionError(err)) throw err
        if (err.kind === "aborted") throw new SopsError("ERR_ABORTED", `the age plugin ${err.message}`, { cause: this.options.signal?.reason })
        if (err.kind === "not-found") {
          const note = `${err.message} (needed by the plugin identity from ${entry.source})`
          if (!this.notes.includes(note)) this.notes.push(note)
          continue
        }
        failures.push(err)
        sources.push(entry.source)
      }
    }
    if (failures.length === 0) return null
    const message = failures.map((f, i) => `${f.message} (identity from ${sources[i]})`).join("; ")
    throw new AgePluginFailure(message, failures.length === 1 ? failures[0] : new AggregateError(failures))
  }
}
