/**
 * The gpg-binary PGP key service: wraps and unwraps data keys by running gpg as sops does, so
 * gpg-agent, pinentry, smartcards and existing keyrings keep working.
 * @module
 */
import { KeyUnavailableError, SopsError } from "@sops-ts/core"
import type { KeyOperationOptions, KeyService, MasterKey, PgpMasterKey } from "@sops-ts/core"
import { shortenFingerprint } from "./fingerprint.js"
import { runGpg, summarizeLog, type GpgOutput, type StatusLine } from "./gpg-exec.js"
import { decryptWithSessionKey } from "./session-key.js"

/** An environment: variable name to value. */
export type GpgEnvironment = Readonly<Record<string, string | undefined>>

/** Options of {@link gpgKeyService}. */
export interface GpgKeyServiceOptions {
  /** The gpg executable. Default: `SOPS_GPG_EXEC` from `env`, else `"gpg"`. */
  readonly gpgPath?: string
  /** Passed as `--homedir`. Default: none, so gpg uses `GNUPGHOME` or `~/.gnupg` itself. */
  readonly homeDir?: string
  /** The environment gpg runs with (and where `SOPS_GPG_EXEC` is looked up). Default: `process.env`. */
  readonly env?: GpgEnvironment
  /** Stop gpg after this many milliseconds (0 = never). Default 120000, room for a pinentry prompt. */
  readonly timeoutMs?: number
}

const KNOWN_OPTIONS = new Set(["gpgPath", "homeDir", "env", "timeoutMs"])
const DEFAULT_TIMEOUT_MS = 120_000
/** Literal data formats gpg rewrites on output: text, UTF-8 text and MIME. */
const TEXT_LITERAL_FORMATS = new Set(["74", "75", "6D"])

/**
 * A key service that runs gpg, with the command lines sops uses:
 * `gpg --no-default-recipient --yes --encrypt -a -r <fp> --trusted-key <short> --no-encrypt-to`
 * and `gpg -d` (both with `--batch` and `--status-fd 2` added, and `--homedir` when configured).
 *
 * When gpg reports a text-mode literal packet it rewrites line endings, which corrupts a binary
 * data key; in that case the service asks gpg for the session key and reads the raw literal
 * data with openpgp.js instead.
 *
 * @example
 * ```ts
 * const gpg = gpgKeyService({ homeDir: "/tmp/gnupg" })
 * const enc = await gpg.encrypt({ type: "pgp", fp: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", createdAt: "", enc: "" }, dataKey)
 * ```
 * @throws SopsError `ERR_INVALID_ARGUMENT` for unknown option names
 */
export function gpgKeyService(options: GpgKeyServiceOptions = {}): KeyService {
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new SopsError("ERR_INVALID_ARGUMENT", `unknown gpgKeyService option "${name}"`)
  }
  return new GpgKeyService(options)
}

/**
 * The PGP key service sops uses when no keys are passed in: gpg with the caller's environment
 * (`SOPS_GPG_EXEC`, `GNUPGHOME`, `GPG_TTY`...).
 */
export function pgpDefaultKeyService(env: GpgEnvironment = process.env): KeyService {
  return gpgKeyService({ env })
}

function asPgpKey(key: MasterKey): PgpMasterKey {
  if (key.type !== "pgp") throw new SopsError("ERR_INVALID_ARGUMENT", `the gpg key service cannot handle ${key.type} keys`)
  return key
}

function has(status: readonly StatusLine[], keyword: string): boolean {
  return status.some((s) => s.keyword === keyword)
}

class GpgKeyService implements KeyService {
  readonly name: string
  readonly #gpgPath: string
  readonly #homeArgs: readonly string[]
  readonly #env: GpgEnvironment
  readonly #timeoutMs: number

  constructor(o: GpgKeyServiceOptions) {
    this.#env = o.env ?? process.env
    this.#gpgPath = o.gpgPath ?? (this.#env["SOPS_GPG_EXEC"] || "gpg")
    this.#homeArgs = o.homeDir ? ["--homedir", o.homeDir] : []
    this.#timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.name = o.homeDir ? `gpg (${o.homeDir})` : "gpg"
  }

  supports(key: MasterKey): boolean {
    return key.type === "pgp"
  }

  async encrypt(key: MasterKey, dataKey: Uint8Array, options?: KeyOperationOptions): Promise<string> {
    const pgp = asPgpKey(key)
    const args = [
      ...this.#homeArgs,
      "--batch",
      "--status-fd",
      "2",
      "--no-default-recipient",
      "--yes",
      "--encrypt",
      "-a",
      "-r",
      pgp.fp,
      "--trusted-key",
      shortenFingerprint(pgp.fp),
      "--no-encrypt-to",
    ]
    const out = await this.#run(args, dataKey, options)
    const armored = new TextDecoder().decode(out.stdout).trim()
    if (out.code === 0 && armored !== "") return armored
    // INV_RECP reason 1 = "not found": gpg has no public key for fp.
    if (out.status.some((s) => s.keyword === "INV_RECP" && s.args[0] === "1")) {
      throw new KeyUnavailableError(`gpg has no public key ${pgp.fp}: ${summarizeLog(out.log)}`)
    }
    throw new SopsError("ERR_KEY_WRAP", `gpg could not encrypt the data key to ${pgp.fp}: ${summarizeLog(out.log)}`)
  }

  async decrypt(key: MasterKey, options?: KeyOperationOptions): Promise<Uint8Array> {
    const pgp = asPgpKey(key)
    const stdin = new TextEncoder().encode(pgp.enc)
    const out = await this.#run([...this.#homeArgs, "--batch", "--status-fd", "2", "-d"], stdin, options)
    if (!succeeded(out)) {
      out.stdout.fill(0)
      throw decryptFailure(pgp.fp, out)
    }
    if (out.stdout.length === 0) {
      // gpg exits 0 with no output when it skips packets it cannot parse (e.g. a newer AEAD format).
      throw new SopsError("ERR_KEY_FAILED", `gpg returned no data for the data key of ${pgp.fp}`)
    }
    const literal = out.status.find((s) => s.keyword === "PLAINTEXT")
    if (!literal || !TEXT_LITERAL_FORMATS.has((literal.args[0] ?? "").toUpperCase())) return out.stdout
    // Text-mode literal: gpg's output may have lost '\r' bytes. Decrypt again, this time asking
    // for the session key, and read the literal bytes as stored.
    out.stdout.fill(0)
    const again = await this.#run([...this.#homeArgs, "--batch", "--status-fd", "2", "--show-session-key", "-d"], stdin, options)
    again.stdout.fill(0)
    if (!succeeded(again)) throw decryptFailure(pgp.fp, again)
    const sessionKey = again.status.find((s) => s.keyword === "SESSION_KEY")?.args[0]
    if (!sessionKey) {
      throw new SopsError("ERR_KEY_FAILED", `gpg did not report the session key for the text-mode data key of ${pgp.fp}`)
    }
    return decryptWithSessionKey(pgp.enc, sessionKey, pgp.fp)
  }

  #run(args: readonly string[], stdin: Uint8Array, options: KeyOperationOptions | undefined): Promise<GpgOutput> {
    return runGpg({ gpgPath: this.#gpgPath, args, stdin, env: this.#env, signal: options?.signal, timeoutMs: this.#timeoutMs })
  }
}

/** gpg decrypted and authenticated the message (a tampered message still prints data, then fails). */
function succeeded(out: GpgOutput): boolean {
  return (
    out.code === 0 &&
    has(out.status, "DECRYPTION_OKAY") &&
    !has(out.status, "DECRYPTION_FAILED") &&
    !has(out.status, "BADMDC")
  )
}

/**
 * Maps a failed `gpg -d` to an error. "Not my key" is when gpg had no secret key for any
 * recipient (a `NO_SECKEY` for every `ENC_TO`) and did not try one: gpg also prints "No secret
 * key" after a failed unlock (cancelled pinentry, wrong passphrase) or a corrupt key packet, but
 * then reports `ERROR pkdecrypt_failed`, and that is a failure of our own key.
 */
function decryptFailure(fp: string, out: GpgOutput): SopsError {
  const recipients = out.status.filter((s) => s.keyword === "ENC_TO").map((s) => s.args[0])
  const missing = new Set(out.status.filter((s) => s.keyword === "NO_SECKEY").map((s) => s.args[0]))
  const tried = out.status.some((s) => s.keyword === "ERROR" && s.args[0] === "pkdecrypt_failed")
  if (recipients.length > 0 && !tried && recipients.every((id) => missing.has(id))) {
    return new KeyUnavailableError(`gpg has no secret key for the data key of ${fp}`, {
      details: { recipients: recipients.map((id) => id ?? "") },
    })
  }
  return new SopsError("ERR_KEY_FAILED", `gpg could not decrypt the data key of ${fp}: ${summarizeLog(out.log)}`)
}
