/**
 * Keys and options for a new file from flags, their `SOPS_*` variables and `.sops.yaml`
 * (spec section 8.4).
 * @module
 */
import { SopsError, resolveEncryptConfig, type EncryptConfig, type EncryptionOptions, type Format } from "@sops-ts/core"
import type { CommandContext } from "./context.js"
import { CliError, ExitCode } from "./exit-codes.js"
import { say } from "./io.js"

/**
 * Resolves the encryption config for `filePath` (absolute; `--filename-override` if given).
 * A bad `--encryption-context` is exit 6.
 */
export async function encryptConfigFor(ctx: CommandContext, filePath: string, inputFormat: Format): Promise<EncryptConfig> {
  const { flags, global } = ctx
  const config = await ctx.config()
  const s = (name: string): string => (flags.declares(name) ? flags.string(name) : "")
  const g = (name: string): string => (global.declares(name) ? global.string(name) : "")
  const cliOptions: EncryptionOptions = {
    unencryptedSuffix: s("unencrypted-suffix"),
    encryptedSuffix: s("encrypted-suffix"),
    unencryptedRegex: s("unencrypted-regex"),
    encryptedRegex: s("encrypted-regex"),
    // Only the top-level command declares these; a subcommand never sees them (as in sops).
    unencryptedCommentRegex: flags === global ? g("unencrypted-comment-regex") : "",
    encryptedCommentRegex: flags === global ? g("encrypted-comment-regex") : "",
    macOnlyEncrypted: global.bool("mac-only-encrypted"),
  }
  try {
    const result = resolveEncryptConfig({
      filePath,
      config,
      cliKeys: {
        kms: s("kms"),
        pgp: s("pgp"),
        age: s("age"),
        gcpKms: s("gcp-kms"),
        azureKv: s("azure-kv"),
        hcVault: s("hc-vault-transit"),
        hckms: s("hckms"),
      },
      encryptionContext: s("encryption-context"),
      awsProfile: s("aws-profile"),
      shamirThreshold: flags.declares("shamir-secret-sharing-threshold") ? flags.int("shamir-secret-sharing-threshold") : 0,
      cliOptions,
      singleValueStore: inputFormat === "binary",
    })
    for (const w of result.warnings) say(ctx.io, `[WARN] ${w}`)
    return result
  } catch (err) {
    if (err instanceof SopsError && err.code === "ERR_INVALID_ARGUMENT" && /encryption context/i.test(err.message)) {
      throw new CliError(err.message, ExitCode.ErrorInvalidKMSEncryptionContextFormat, { cause: err })
    }
    throw err
  }
}
