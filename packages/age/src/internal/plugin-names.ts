/**
 * Names of age plugins (C2SP age-plugin, "Mapping recipients and identities to plugin
 * binaries"): a plugin recipient is Bech32 with the prefix `age1<name>`, a plugin identity
 * Bech32 with the uppercase prefix `AGE-PLUGIN-<NAME>-`, and the plugin runs as the binary
 * `age-plugin-<name>`. The name is checked against the spec's character set before it ever
 * becomes part of a file name, so that no recipient from a file can name a path.
 *
 * Pure string code, loaded with the package: parsing key files and recipients must not load
 * the plugin client.
 * @module
 */
import { bech32Decode } from "./bech32.js"

/** `NAME = 1*(ALPHA / DIGIT / "-" / "_" / "." / "+")`: no path separator, no space. */
const PLUGIN_NAME = /^[A-Za-z0-9._+-]+$/

/** Why a plugin recipient or identity is malformed; the message never quotes the input. */
export class PluginNameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "PluginNameError"
  }
}

/** Whether `name` is a valid plugin name (case-insensitive; callers lowercase it). */
export function isValidPluginName(name: string): boolean {
  return PLUGIN_NAME.test(name)
}

/** The binary that serves a plugin: `age-plugin-<name>`. @param name - a validated, lowercase name */
export function pluginBinaryName(name: string): string {
  if (!isValidPluginName(name)) throw new PluginNameError("invalid age plugin name")
  return `age-plugin-${name}`
}

/**
 * The plugin name of an `age1<name>1…` recipient (lowercase), after checking its Bech32
 * encoding.
 * @throws Bech32Error for bad Bech32; PluginNameError for a name outside the allowed set
 */
export function pluginNameOfRecipient(recipient: string): string {
  const { prefix } = bech32Decode(recipient)
  if (!recipient.startsWith("age1") || !prefix.startsWith("age1") || prefix.length === 4) {
    throw new PluginNameError("not an age plugin recipient (expected age1<name>1…)")
  }
  const name = prefix.slice(4)
  if (!isValidPluginName(name)) throw new PluginNameError("invalid age plugin name in the recipient")
  return name
}

/**
 * The plugin name of an `AGE-PLUGIN-<NAME>-1…` identity (lowercase), after checking its
 * Bech32 encoding (uppercase, as age requires for identities).
 * @throws Bech32Error for bad Bech32; PluginNameError for a wrong prefix or an invalid name
 */
export function pluginNameOfIdentity(identity: string): string {
  const { prefix } = bech32Decode(identity)
  // age compares the prefix case-sensitively: plugin identities are uppercase.
  if (!identity.startsWith("AGE-PLUGIN-") || !prefix.startsWith("age-plugin-") || !prefix.endsWith("-")) {
    throw new PluginNameError("not an age plugin identity (expected AGE-PLUGIN-<NAME>-1…)")
  }
  const name = prefix.slice("age-plugin-".length, -1)
  if (!isValidPluginName(name)) throw new PluginNameError("invalid age plugin name in the identity")
  return name
}
