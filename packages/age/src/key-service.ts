/**
 * The age {@link KeyService}: wraps sops data keys as ASCII-armored age files and unwraps them
 * with configured or discovered identities.
 * @module
 */
import type { Identity } from "age-encryption"
import {
  KeyUnavailableError,
  SopsError,
  type KeyOperationOptions,
  type KeyService,
  type MasterKey,
} from "@sops-ts/core"
import type { DiscoveryContext } from "./discovery-context.js"
import type { DiscoveryResult } from "./discovery.js"
import { parseAgeIdentities, type AgeIdentity } from "./identities.js"
import { decryptWithHeader } from "./internal/decrypt-file.js"
import { decodeArmor, encodeArmor, parseHeader, type AgeHeader } from "./internal/format.js"
import { LockedSshIdentity, type SshPassphraseCallback } from "./internal/locked-ssh-identity.js"
import { AgePluginFailure, PluginIdentities, PluginRecipient, type PluginIdentityEntry } from "./internal/plugin-lazy.js"
import { DEFAULT_PLUGIN_TIMEOUT_MS, type AgePluginPromptHandler, type PluginRunOptions } from "./internal/plugin-types.js"
import { MAX_SMALL_FILE, encryptSmallFile } from "./internal/small-file.js"
import { loadTypage } from "./internal/typage.js"
import { NodeX25519Identity, x25519IdentityScalar } from "./internal/x25519-identity.js"
import { parseAgeRecipient, type ParsedAgeRecipient } from "./recipients.js"

/** Options of {@link ageKeyService}. */
export interface AgeKeyServiceOptions {
  /**
   * Identities to decrypt with: identity text (`AGE-SECRET-KEY-…` or `AGE-PLUGIN-…` lines,
   * several per string allowed, or an SSH private key; a passphrase-protected one only in
   * OpenSSH format and with `onSshPassphrase`) or typage {@link Identity} objects. When
   * given (and `discover` is not set), only these are used and the environment is not read.
   */
  readonly identities?: readonly (string | Identity)[]
  /**
   * Discover identities as sops does (section 7.1 of the format spec): `true` reads
   * `process.env` and the real home directory; an object injects them. Discovered
   * identities are added after `identities`. Default: false.
   */
  readonly discover?:
    | boolean
    | {
        readonly env?: Readonly<Record<string, string | undefined>>
        readonly homeDir?: string
        readonly platform?: NodeJS.Platform
      }
  /**
   * Supplies the passphrase of a passphrase-encrypted identity file found by discovery
   * (sops asks gpg-agent or the terminal). Without it such files are reported as errors.
   * @param source - the variable or path the file came from
   */
  readonly passphrase?: (source: string) => string | Promise<string>
  /**
   * Supplies the passphrase of a passphrase-protected SSH private key (discovered, or in
   * `identities`), as sops 3.10+ asks on the terminal. It is called only when a file has a
   * stanza for that key's public half (from the OpenSSH key file, or the `.pub` file next to
   * a PEM key), and at most once per key for this service: the unlocked key is kept. Return
   * null when there is no passphrase; the key then counts as "not my key" and the failure
   * message names it. Without this option such keys never open (and passphrase-protected
   * keys in `identities` are refused).
   */
  readonly onSshPassphrase?: SshPassphraseCallback
  /**
   * Answers age plugins that ask the user something (a PIN, a confirmation, a message to
   * show). Without it those requests fail and the plugin decides whether it can go on.
   */
  readonly onPluginPrompt?: AgePluginPromptHandler
  /** Receives each line an age plugin writes to stderr (diagnostics; never key material of ours). */
  readonly pluginLog?: (plugin: string, line: string) => void
  /**
   * How long one plugin run may take, not counting time spent in `onPluginPrompt`; then it
   * is terminated. Default: 60 000 ms.
   */
  readonly pluginTimeoutMs?: number
  /**
   * Where to look for `age-plugin-<name>` binaries, a `PATH`-style list (relative entries are
   * ignored). Default: the `PATH` of the environment (the `discover.env` when given, else
   * `process.env`), which is also the plugin's environment.
   */
  readonly pluginPath?: string
}

interface Loaded {
  readonly identities: readonly AgeIdentity[]
  readonly errors: readonly { source: string; error: SopsError }[]
  readonly unused: readonly string[]
  readonly notes: readonly string[]
}

const PQ_STANZA = "mlkem768x25519"

/** The stanza types native identities of each kind open (to skip plugins for them). */
const STANZA_OF_KIND: Partial<Record<AgeIdentity["kind"], string>> = {
  X25519: "X25519",
  mlkem768x25519: "mlkem768x25519",
  "ssh-ed25519": "ssh-ed25519",
  "ssh-rsa": "ssh-rsa",
}

function abbreviate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 40)}…` : s
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

function describeSources(ids: readonly AgeIdentity[]): string {
  return [...new Set(ids.map((i) => i.source))].join(", ")
}

/** Notes on passphrase-protected SSH keys the file is addressed to but that were not unlocked. */
function lockedSshNotes(ids: readonly AgeIdentity[], header: AgeHeader | null): string[] {
  if (header === null) return []
  const notes: string[] = []
  for (const id of ids) {
    const note = id.identity instanceof LockedSshIdentity ? id.identity.noteFor(header.stanzas) : null
    if (note !== null) notes.push(note)
  }
  return notes
}

/** Never-null identity that records whether every earlier identity declined the file. */
class Sentinel implements Identity {
  reached = false
  unwrapFileKey(): null {
    this.reached = true
    return null
  }
}

function configuredIdentities(list: readonly (string | Identity)[], onSshPassphrase: SshPassphraseCallback | undefined): AgeIdentity[] {
  const out: AgeIdentity[] = []
  list.forEach((item, i) => {
    const source = `identities[${i}]`
    if (typeof item === "string") out.push(...parseAgeIdentities(item, source, onSshPassphrase === undefined ? {} : { onSshPassphrase }))
    else if (item !== null && typeof item === "object" && typeof item.unwrapFileKey === "function") {
      out.push({ kind: "custom", source, identity: item })
    } else {
      throw new SopsError("ERR_INVALID_ARGUMENT", `${source} is neither identity text nor an object with unwrapFileKey()`)
    }
  })
  return out
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SopsError("ERR_ABORTED", "the age key operation was aborted", { cause: signal.reason })
}

function requireAgeKey(key: MasterKey): string {
  if (key.type !== "age") {
    throw new SopsError("ERR_INVALID_ARGUMENT", `the age key service cannot handle ${key.type} keys`)
  }
  return key.recipient
}

/**
 * Creates the age key service.
 *
 * - `encrypt` wraps the data key for the key's recipient (`age1…`, `age1pq1…`,
 *   `ssh-ed25519 …`, `ssh-rsa …`, or a plugin recipient `age1<name>1…`, wrapped by running
 *   `age-plugin-<name>`) and returns the armored age file that sops stores in `enc`.
 * - `decrypt` tries every identity; it throws {@link KeyUnavailableError} when none of them
 *   is addressed by the file ("not my key"), and a `SopsError` with `ERR_KEY_FAILED` when the
 *   `enc` is corrupt, a matching stanza does not open, or identity sources failed to load.
 *
 * Plugin identities (`AGE-PLUGIN-<NAME>-1…`) are tried after every native identity, by
 * running `age-plugin-<name>` from `PATH` with all the stanzas of the file, and only when the
 * file has a stanza no configured native identity handles. A missing plugin binary counts as
 * "not my key"; a plugin that fails or reports an error makes the key fail (`ERR_KEY_FAILED`)
 * unless another identity opens it.
 *
 * Identities are loaded on the first `decrypt` and cached; the output of
 * `SOPS_AGE_KEY_CMD`/`SOPS_AGE_SSH_PRIVATE_KEY_CMD` is cached per recipient because sops runs
 * them with `SOPS_AGE_RECIPIENT` set.
 *
 * @example
 * ```ts
 * const age = ageKeyService({ discover: true })
 * const dataKey = await age.decrypt({ type: "age", recipient: "age1…", enc })
 * ```
 * @throws SopsError `ERR_INVALID_ARGUMENT` when a configured identity is malformed or
 *   `pluginTimeoutMs` is not positive
 */
export function ageKeyService(options: AgeKeyServiceOptions = {}): KeyService {
  const configured = configuredIdentities(options.identities ?? [], options.onSshPassphrase)
  const discover = options.discover ?? false
  const ctx: Omit<DiscoveryContext, "signal"> | null =
    discover === false
      ? null
      : discover === true
        ? { env: process.env, passphrase: options.passphrase, sshPassphrase: options.onSshPassphrase }
        : {
            env: discover.env ?? process.env,
            homeDir: discover.homeDir,
            platform: discover.platform,
            passphrase: options.passphrase,
            sshPassphrase: options.onSshPassphrase,
          }

  const pluginTimeoutMs = options.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS
  if (!(pluginTimeoutMs > 0)) throw new SopsError("ERR_INVALID_ARGUMENT", "pluginTimeoutMs must be a positive number of milliseconds")
  // Plugins run in the environment identities are discovered from (injected or the process's).
  const pluginEnv = typeof discover === "object" && discover.env !== undefined ? discover.env : process.env

  /** How plugin processes run for one operation. */
  function pluginRun(signal: AbortSignal | undefined): PluginRunOptions {
    return {
      env: pluginEnv,
      searchPath: options.pluginPath,
      timeoutMs: pluginTimeoutMs,
      onPrompt: options.onPluginPrompt,
      log: options.pluginLog,
      signal,
    }
  }

  /** The plugin identities as one identity asked after the native ones, or null if none. */
  function pluginIdentities(identities: readonly AgeIdentity[], signal: AbortSignal | undefined): PluginIdentities | null {
    const entries: PluginIdentityEntry[] = []
    const nativeTypes = new Set<string>()
    for (const id of identities) {
      const type = STANZA_OF_KIND[id.kind]
      if (type !== undefined) nativeTypes.add(type)
      if (id.kind === "plugin" && typeof id.identity === "string" && id.plugin !== undefined) {
        entries.push({ plugin: id.plugin, identity: id.identity, source: id.source })
      }
    }
    return entries.length === 0 ? null : new PluginIdentities(entries, nativeTypes, pluginRun(signal))
  }

  let staticPart: Promise<{ ssh: DiscoveryResult; age: DiscoveryResult }> | null = null
  const perRecipient = new Map<string, Promise<Loaded>>()
  const recipients = new Map<string, ParsedAgeRecipient>()
  const x25519Identities = new Map<string, NodeX25519Identity>()
  const hasCommands =
    ctx !== null && (ctx.env["SOPS_AGE_KEY_CMD"] !== undefined || ctx.env["SOPS_AGE_SSH_PRIVATE_KEY_CMD"] !== undefined)

  async function load(recipient: string, signal: AbortSignal | undefined): Promise<Loaded> {
    if (ctx === null) return { identities: configured, errors: [], unused: [], notes: [] }
    const cacheKey = hasCommands ? recipient : ""
    let entry = perRecipient.get(cacheKey)
    if (entry === undefined) {
      entry = (async (): Promise<Loaded> => {
        // Discovery (files, commands, node:child_process) is loaded only by services that use it.
        const discovery = await import("./discovery.js")
        staticPart ??= discovery.discoverStaticIdentities(ctx)
        const fixed = await staticPart
        let parts = [fixed.ssh, fixed.age]
        if (hasCommands) {
          // sops order: SSH file, SSH command, ~/.ssh keys, then the age sources and command.
          const cmd = await discovery.discoverCommandIdentities({ ...ctx, signal }, recipient)
          parts = [fixed.ssh, cmd.ssh, fixed.age, cmd.age]
        }
        return {
          identities: [...configured, ...parts.flatMap((p) => p.identities)],
          errors: parts.flatMap((p) => p.errors),
          unused: parts.flatMap((p) => p.unused),
          notes: parts.flatMap((p) => p.notes),
        }
      })()
      // Do not cache an aborted or crashed attempt.
      entry.catch(() => {
        perRecipient.delete(cacheKey)
        staticPart = null
      })
      perRecipient.set(cacheKey, entry)
    }
    return await entry
  }

  /** The `node:crypto` identity object of an X25519 identity string (cached), else null. */
  function nativeIdentity(id: AgeIdentity): Identity | null {
    if (typeof id.identity !== "string" || id.kind !== "X25519") return null
    let native = x25519Identities.get(id.identity)
    if (native === undefined) {
      native = new NodeX25519Identity(x25519IdentityScalar(id.identity))
      x25519Identities.set(id.identity, native)
    }
    return native
  }

  function recipientOf(text: string): ParsedAgeRecipient {
    let r = recipients.get(text)
    if (r === undefined) {
      r = parseAgeRecipient(text)
      recipients.set(text, r)
    }
    return r
  }

  return {
    name: "age",
    supports(key: MasterKey): boolean {
      return key.type === "age"
    },

    async encrypt(key: MasterKey, dataKey: Uint8Array, op?: KeyOperationOptions): Promise<string> {
      checkAborted(op?.signal)
      const parsed = recipientOf(requireAgeKey(key))
      // A plugin recipient runs its plugin with this service's options and the caller's signal.
      const recipient = parsed.plugin === undefined ? parsed.recipient : new PluginRecipient(parsed.plugin, parsed.text, pluginRun(op?.signal))
      try {
        // Recipient objects (X25519, SSH, plugins) take the stream-free path; post-quantum ones
        // stay with typage, which owns their implementation. A plugin's stanzas go into an
        // ordinary age header, under the same MAC and payload code.
        if (typeof recipient !== "string" && dataKey.length <= MAX_SMALL_FILE) {
          return encodeArmor(await encryptSmallFile([recipient], dataKey))
        }
        const { Encrypter } = await loadTypage()
        const e = new Encrypter()
        e.addRecipient(recipient)
        return encodeArmor(await e.encrypt(dataKey))
      } catch (err) {
        if (err instanceof SopsError && err.code === "ERR_ABORTED") throw err
        // A plugin's failure says what went wrong (missing binary, its own error message).
        const reason = parsed.plugin !== undefined && err instanceof SopsError ? `: ${err.message}` : ""
        throw new SopsError("ERR_KEY_WRAP", `could not wrap the data key for age recipient ${abbreviate(parsed.text)}${reason}`, {
          cause: err,
        })
      }
    },

    async decrypt(key: MasterKey, op?: KeyOperationOptions): Promise<Uint8Array> {
      checkAborted(op?.signal)
      const recipient = requireAgeKey(key)
      const shown = abbreviate(recipient)
      if (key.enc === "") throw new SopsError("ERR_KEY_FAILED", `age key ${shown} has no wrapped data key (empty enc)`)
      // Identities first, as sops does: a service with none answers "not my key" without
      // decoding the file, which a bulk re-key that unwraps through a KMS asks for every file.
      let loaded: Loaded
      try {
        loaded = await load(recipient, op?.signal)
      } catch (err) {
        checkAborted(op?.signal)
        throw err
      }
      const { identities, errors, unused, notes } = loaded
      const loadProblems = errors.map((e) => e.error.message)
      const details = { recipient, sources: [...new Set(identities.map((i) => i.source))], loadErrors: loadProblems, notes }

      if (identities.length === 0) {
        if (errors.length > 0) {
          throw new SopsError("ERR_KEY_FAILED", `no age identities could be loaded: ${loadProblems.join("; ")}`, {
            details,
            cause: errors.length === 1 ? errors[0]!.error : new AggregateError(errors.map((e) => e.error)),
          })
        }
        const where = unused.length > 0 ? ` (looked in ${unused.join(", ")})` : ""
        const extra = notes.length > 0 ? `; ${notes.join("; ")}` : ""
        throw new KeyUnavailableError(`no age identities configured${where}${extra}`, { details })
      }

      let file: Uint8Array
      try {
        file = decodeArmor(key.enc)
      } catch (err) {
        throw new SopsError("ERR_KEY_FAILED", `the enc of age key ${shown} is not a valid armored age file`, { cause: err, details })
      }

      const sentinel = new Sentinel()
      // Plugin identities come after every native one: a plugin is a process to start.
      const plugins = pluginIdentities(identities, op?.signal)
      let header: AgeHeader | null = null
      try {
        header = parseHeader(file)
        const pqFile = header.stanzas.some((s) => s.args[0] === PQ_STANZA)
        if (pqFile && identities.some((i) => typeof i.identity === "string" && i.kind === "mlkem768x25519")) {
          // Post-quantum stanzas and identities: typage decrypts the whole file.
          const { Decrypter } = await loadTypage()
          const d = new Decrypter()
          for (const id of identities) if (id.kind !== "plugin") d.addIdentity(nativeIdentity(id) ?? id.identity)
          if (plugins !== null) d.addIdentity(plugins)
          d.addIdentity(sentinel)
          return await d.decrypt(file)
        }
        // A post-quantum identity only opens mlkem768x25519 stanzas, so without them it is
        // left out (it would decline) and typage is never loaded.
        const list: Identity[] = []
        for (const id of identities) {
          const native = nativeIdentity(id)
          if (native !== null) list.push(native)
          else if (typeof id.identity !== "string") list.push(id.identity)
        }
        if (plugins !== null) list.push(plugins)
        list.push(sentinel)
        return await decryptWithHeader(file, header, list)
      } catch (err) {
        if (!sentinel.reached) {
          if (err instanceof SopsError && err.code === "ERR_ABORTED") throw err
          // A plugin's failure and a locked SSH key's (wrong passphrase) say what went wrong.
          if (err instanceof AgePluginFailure || (err instanceof SopsError && err.code === "ERR_KEY_FAILED")) {
            throw new SopsError("ERR_KEY_FAILED", `could not unwrap the data key of age key ${shown}: ${err.message}`, { cause: err, details })
          }
          throw new SopsError("ERR_KEY_FAILED", `could not unwrap the data key of age key ${shown}: the age file is corrupt or a matching identity failed`, {
            cause: err,
            details,
          })
        }
        const loadedFrom = `${plural(identities.length, "identity", "identities")} loaded from ${describeSources(identities)}`
        const sshNotes = lockedSshNotes(identities, header)
        if (errors.length > 0) {
          const sshExtra = sshNotes.length > 0 ? `; ${sshNotes.join("; ")}` : ""
          throw new SopsError(
            "ERR_KEY_FAILED",
            `no age identity matches recipient ${shown} (${loadedFrom}); some identity sources failed to load: ${loadProblems.join("; ")}${sshExtra}`,
            { cause: err, details },
          )
        }
        const allNotes = [...notes, ...sshNotes, ...(plugins?.notes ?? [])]
        const extra = allNotes.length > 0 ? `; ${allNotes.join("; ")}` : ""
        throw new KeyUnavailableError(`no age identity matches recipient ${shown} (${loadedFrom})${extra}`, {
          cause: err,
          details: { ...details, notes: allNotes },
        })
      }
    },
  }
}
