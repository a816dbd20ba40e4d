/**
 * sops' age identity discovery (`age/keysource.go:loadIdentities`), with the environment,
 * home directory and platform injected so that it can be tested without touching the real
 * user's files.
 *
 * Sources, all combined (not first-wins): `SOPS_AGE_SSH_PRIVATE_KEY_FILE`,
 * `SOPS_AGE_SSH_PRIVATE_KEY_CMD`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`, `SOPS_AGE_KEY`,
 * `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, `<UserConfigDir>/sops/age/keys.txt`.
 * @module
 */
import { execFile } from "node:child_process"
import { readFile, stat } from "node:fs/promises"
import { join } from "node:path"
import { SopsError } from "@sops-ts/core"
import {
  decryptIdentityFile,
  inspectSshKeyText,
  isEncryptedIdentityFile,
  lockedSshIdentity,
  parseAgeIdentities,
  type AgeIdentity,
} from "./identities.js"
import { homeOf, userConfigDir, type DiscoveryContext } from "./discovery-context.js"
import { lazySshIdentity } from "./internal/lazy-ssh.js"
import { ShlexError, shlexSplit } from "./internal/shlex.js"
import { parseAuthorizedKey, type SshPublicKey } from "./internal/ssh-keys.js"

export { userConfigDir, type DiscoveryContext }

/** A source that could not be used. Messages name the source, never its content. */
export interface SourceError {
  readonly source: string
  readonly error: SopsError
}

/** What a discovery pass found. */
export interface DiscoveryResult {
  readonly identities: AgeIdentity[]
  readonly errors: SourceError[]
  /** Locations that were looked at but held no identity (for "not found" messages). */
  readonly unused: string[]
  /** Non-fatal notes, added to "no identity matched" messages. */
  readonly notes: string[]
}

const MAX_OUTPUT = 16 * 1024 * 1024

function emptyResult(): DiscoveryResult {
  return { identities: [], errors: [], unused: [], notes: [] }
}

function merge(into: DiscoveryResult, from: DiscoveryResult): void {
  into.identities.push(...from.identities)
  into.errors.push(...from.errors)
  into.unused.push(...from.unused)
  into.notes.push(...from.notes)
}

function loadError(source: string, message: string, cause?: unknown): SourceError {
  return { source, error: new SopsError("ERR_KEY_FAILED", message, cause === undefined ? undefined : { cause }) }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** Runs a sops key command (shlex-split, no shell) and returns its stdout. */
async function runKeyCommand(
  variable: string,
  command: string,
  recipient: string,
  ctx: DiscoveryContext,
): Promise<string | SourceError> {
  let argv: string[]
  try {
    argv = shlexSplit(command)
  } catch (err) {
    if (err instanceof ShlexError) return loadError(variable, `${variable}: cannot parse the command: ${err.message}`)
    throw err
  }
  const [file, ...args] = argv
  if (file === undefined) return loadError(variable, `${variable} is set but empty`)
  return await new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: { ...ctx.env, SOPS_AGE_RECIPIENT: recipient },
        encoding: "utf8",
        maxBuffer: MAX_OUTPUT,
        windowsHide: true,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      },
      (err, stdout) => {
        if (err === null) {
          resolve(stdout)
          return
        }
        // An abort must not be cached as a broken source: reject so the caller retries later.
        if (err.name === "AbortError") {
          reject(new SopsError("ERR_ABORTED", `${variable}: the command was aborted`, { cause: err }))
          return
        }
        // stderr and stdout may hold key material: report only how the command failed.
        const e = err as NodeJS.ErrnoException & { code?: string | number; signal?: string | null }
        const how =
          typeof e.code === "number"
              ? `exited with status ${e.code}`
              : e.code === "ENOENT"
                ? `could not be started (\`${file}\` not found)`
                : e.signal
                  ? `was killed by ${e.signal}`
                  : `failed (${String(e.code ?? "error")})`
        resolve(loadError(variable, `${variable}: the command ${how}`))
      },
    )
  })
}

/** Parses the text of an identity source, unlocking encrypted identity files when possible. */
async function parseSource(
  text: string,
  source: string,
  multiplePerLine: boolean,
  ctx: DiscoveryContext,
): Promise<DiscoveryResult> {
  const result = emptyResult()
  try {
    let body = text
    if (isEncryptedIdentityFile(text)) {
      if (ctx.passphrase === undefined) {
        result.errors.push(
          loadError(source, `${source} is a passphrase-encrypted age identity file, which needs a passphrase callback (not configured)`),
        )
        return result
      }
      body = await decryptIdentityFile(text, source, await ctx.passphrase(source))
    }
    // Plugin identities are kept; their plugin runs only when a file has stanzas for it.
    const parsed = parseAgeIdentities(body, source, { multiplePerLine })
    result.identities.push(...parsed)
    if (parsed.length === 0) result.unused.push(source)
  } catch (err) {
    if (!(err instanceof SopsError)) throw err
    result.errors.push({ source, error: new SopsError("ERR_KEY_FAILED", err.message, { cause: err }) })
  }
  return result
}

/**
 * The public half of a passphrase-protected PEM key, from `<path>.pub` as sops reads it
 * (`ssh_parse.go:readPublicKeyFile`).
 */
async function readPublicKeyFile(path: string, source: string): Promise<SshPublicKey> {
  const pubPath = `${path}.pub`
  let text: string
  try {
    text = await readFile(pubPath, "utf8")
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error"
    throw new SopsError(
      "ERR_KEY_FAILED",
      `${source}: the SSH key is passphrase-protected and its public key could not be read from ${pubPath} (${code})`,
      { cause: err },
    )
  }
  try {
    return parseAuthorizedKey(text).publicKey
  } catch (err) {
    const reason = err instanceof SopsError ? err.message : "malformed key"
    throw new SopsError("ERR_KEY_FAILED", `${source}: invalid public key in ${pubPath}: ${reason}`, { cause: err })
  }
}

/**
 * Parses an SSH private key source. A passphrase-protected key read from a file becomes an
 * identity that asks `ctx.sshPassphrase` when a file has a stanza for it (as sops 3.10+ does);
 * from a command (`path` null) it is an error, as in sops.
 */
async function parseSshSource(text: string, source: string, path: string | null, ctx: DiscoveryContext): Promise<DiscoveryResult> {
  const result = emptyResult()
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
    result.errors.push(loadError(source, `${source}: not an SSH private key`))
    return result
  }
  try {
    const inspected = inspectSshKeyText(text, source)
    if (!inspected.locked) {
      result.identities.push({ kind: inspected.key.type, source, identity: lazySshIdentity(inspected.key) })
    } else if (path === null) {
      result.errors.push(
        loadError(
          source,
          `${source}: the SSH key is passphrase-protected, which is not supported for SOPS_AGE_SSH_PRIVATE_KEY_CMD (as in sops); have the command print an unencrypted key`,
        ),
      )
    } else {
      const publicKey = inspected.key.format === "openssh" ? inspected.key.publicKey : await readPublicKeyFile(path, source)
      result.identities.push(lockedSshIdentity(inspected.key, publicKey, source, path, ctx.sshPassphrase))
    }
  } catch (err) {
    if (!(err instanceof SopsError)) throw err
    result.errors.push({ source, error: new SopsError("ERR_KEY_FAILED", err.message, { cause: err }) })
  }
  return result
}

async function readSource(path: string, source: string): Promise<string | SourceError> {
  try {
    return await readFile(path, "utf8")
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error"
    return loadError(source, `${source}: cannot read the file (${code})`, err)
  }
}

/**
 * The sources that do not depend on the recipient (files and environment variables), in
 * sops' order. Commands are handled by {@link discoverCommandIdentities}.
 * @returns the SSH sources (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_*`) and the age
 *   sources (`SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `keys.txt`) separately, so the caller can
 *   put command output in sops' order
 */
export async function discoverStaticIdentities(ctx: DiscoveryContext): Promise<{ ssh: DiscoveryResult; age: DiscoveryResult }> {
  const env = ctx.env
  const ssh = emptyResult()
  const age = emptyResult()

  const sshFile = env["SOPS_AGE_SSH_PRIVATE_KEY_FILE"]
  if (sshFile !== undefined) {
    const source = `SOPS_AGE_SSH_PRIVATE_KEY_FILE (${sshFile})`
    const text = await readSource(sshFile, source)
    if (typeof text === "string") merge(ssh, await parseSshSource(text, source, sshFile, ctx))
    else ssh.errors.push(text)
  } else ssh.unused.push("SOPS_AGE_SSH_PRIVATE_KEY_FILE")

  const home = homeOf(ctx)
  if (home !== undefined) {
    for (const name of ["id_ed25519", "id_rsa"]) {
      const path = join(home, ".ssh", name)
      if (!(await exists(path))) {
        ssh.unused.push(path)
        continue
      }
      const text = await readSource(path, path)
      if (typeof text === "string") merge(ssh, await parseSshSource(text, path, path, ctx))
      else ssh.errors.push(text)
    }
  }

  const ageKey = env["SOPS_AGE_KEY"]
  if (ageKey !== undefined) merge(age, await parseSource(ageKey, "SOPS_AGE_KEY", true, ctx))
  else age.unused.push("SOPS_AGE_KEY")

  const keyFile = env["SOPS_AGE_KEY_FILE"]
  if (keyFile !== undefined) {
    const source = `SOPS_AGE_KEY_FILE (${keyFile})`
    const text = await readSource(keyFile, source)
    if (typeof text === "string") merge(age, await parseSource(text, source, false, ctx))
    else age.errors.push(text)
  } else age.unused.push("SOPS_AGE_KEY_FILE")

  const config = userConfigDir(ctx)
  if ("dir" in config) {
    const path = join(config.dir, "sops", "age", "keys.txt")
    if (await exists(path)) {
      const text = await readSource(path, path)
      if (typeof text === "string") merge(age, await parseSource(text, path, false, ctx))
      else age.errors.push(text)
    } else age.unused.push(path)
  }
  return { ssh, age }
}

/**
 * The command sources (`SOPS_AGE_SSH_PRIVATE_KEY_CMD`, `SOPS_AGE_KEY_CMD`), which sops runs
 * with `SOPS_AGE_RECIPIENT=<recipient>` and whose output therefore depends on the recipient.
 */
export async function discoverCommandIdentities(
  ctx: DiscoveryContext,
  recipient: string,
): Promise<{ ssh: DiscoveryResult; age: DiscoveryResult }> {
  const ssh = emptyResult()
  const age = emptyResult()
  const sshCmd = ctx.env["SOPS_AGE_SSH_PRIVATE_KEY_CMD"]
  if (sshCmd !== undefined) {
    const out = await runKeyCommand("SOPS_AGE_SSH_PRIVATE_KEY_CMD", sshCmd, recipient, ctx)
    if (typeof out === "string") merge(ssh, await parseSshSource(out, "SOPS_AGE_SSH_PRIVATE_KEY_CMD output", null, ctx))
    else ssh.errors.push(out)
  }
  const keyCmd = ctx.env["SOPS_AGE_KEY_CMD"]
  if (keyCmd !== undefined) {
    const out = await runKeyCommand("SOPS_AGE_KEY_CMD", keyCmd, recipient, ctx)
    if (typeof out === "string") merge(age, await parseSource(out, "SOPS_AGE_KEY_CMD output", false, ctx))
    else age.errors.push(out)
  }
  return { ssh, age }
}
