/**
 * `sops-ts groups add|delete` (sops `subcommand/groups`): add or remove a key group and
 * re-wrap the same data key (new Shamir shares).
 * @module
 */
import {
  emitEncrypted,
  parseAgeRecipients,
  parseAzureKvUrls,
  parseEncrypted,
  parseGcpKmsIds,
  parseKmsArns,
  parsePgpFingerprints,
  parseVaultUris,
  recoverDataKey,
  wrapDataKey,
  type KeyGroup,
  type MasterKey,
  type Metadata,
} from "@sops-ts/core"
import { absPath, decryptionOrder, formatsFor, message, readInput, storeOptions, writeResult, type CommandContext } from "../context.js"
import { CliError, ExitCode } from "../exit-codes.js"
import { say } from "../io.js"
import { encryptionContext } from "../key-flags.js"

async function changeGroups(
  ctx: CommandContext,
  change: (m: Metadata) => { groups: KeyGroup[]; threshold: number },
): Promise<number> {
  const { io, flags } = ctx
  const given = flags.string("file")
  if (given === "") throw new CliError("Error: no file specified (use --file)", ExitCode.NoFileSpecified)
  const file = absPath(io, given)
  const formats = formatsFor(flags, given)
  const inOpts = await storeOptions(ctx, formats.input, false)
  const outOpts = await storeOptions(ctx, formats.output, true)
  const doc = parseEncrypted(await readInput(io, file), formats.input, inOpts)
  const order = decryptionOrder(flags)
  let dataKey: Uint8Array
  try {
    dataKey = await recoverDataKey(doc.metadata.keyGroups, doc.metadata.shamirThreshold, {
      keyServices: ctx.keyServices(),
      ...(order ? { decryptionOrder: order } : {}),
    })
  } catch (err) {
    // sops returns this error unwrapped here, hence exit 1 rather than 128.
    throw new CliError(message(err), ExitCode.ErrorGeneric, { cause: err })
  }
  try {
    const { groups, threshold } = change(doc.metadata)
    const wrapped = await wrapDataKey(groups, dataKey, threshold, { keyServices: ctx.keyServices() })
    const metadata: Metadata = { ...doc.metadata, keyGroups: wrapped.keyGroups, shamirThreshold: groups.length > 1 ? wrapped.shamirThreshold : threshold }
    const out = emitEncrypted({ branches: doc.branches, metadata }, formats.output, outOpts)
    await writeResult(io, out, flags.bool("in-place") ? { inPlace: file } : {})
  } finally {
    dataKey.fill(0)
  }
  return ExitCode.Ok
}

function tryKeys(ctx: CommandContext, out: MasterKey[], items: readonly string[], parse: (s: string) => MasterKey[]): void {
  for (const item of items) {
    try {
      out.push(...parse(item))
    } catch (err) {
      say(ctx.io, `[ERROR] Failed to add key: ${message(err)}`)
    }
  }
}

/** Runs `groups add`. */
export async function groupsAddCommand(ctx: CommandContext): Promise<number> {
  const { flags, positionals } = ctx
  if (positionals.length !== 0) throw new CliError("error: no positional arguments allowed", ExitCode.ErrorGeneric)
  const context = encryptionContext(flags)
  const group: MasterKey[] = []
  // Each flag value is one key, as in sops (no comma splitting), except age lists.
  for (const fp of flags.list("pgp")) group.push(...parsePgpFingerprints([fp]))
  for (const arn of flags.list("kms")) group.push(...parseKmsArns([arn], { context, awsProfile: flags.string("aws-profile") }))
  for (const id of flags.list("gcp-kms")) group.push(...parseGcpKmsIds([id]))
  tryKeys(ctx, group, flags.list("hc-vault-transit"), (s) => parseVaultUris(s))
  tryKeys(ctx, group, flags.list("azure-kv"), (s) => parseAzureKvUrls(s))
  tryKeys(ctx, group, flags.list("age"), (s) => parseAgeRecipients(s))
  const threshold = flags.int("shamir-secret-sharing-threshold")
  return changeGroups(ctx, (m) => ({ groups: [...m.keyGroups, group], threshold: threshold !== 0 ? threshold : m.shamirThreshold }))
}

/** Runs `groups delete`. */
export async function groupsDeleteCommand(ctx: CommandContext): Promise<number> {
  const { flags, positionals } = ctx
  if (positionals.length !== 1) throw new CliError("error: exactly one positional argument (index) required", ExitCode.ErrorGeneric)
  if (!/^\d+$/.test(positionals[0]!)) throw new CliError(`invalid group index "${positionals[0]}"`, ExitCode.ErrorGeneric)
  const index = Number(positionals[0])
  const flagThreshold = flags.int("shamir-secret-sharing-threshold")
  return changeGroups(ctx, (m) => {
    if (index >= m.keyGroups.length) throw new CliError(`group index ${index} out of range: the file has ${m.keyGroups.length} key group(s)`, ExitCode.ErrorGeneric)
    const groups = m.keyGroups.filter((_, i) => i !== index)
    const threshold = flagThreshold !== 0 ? flagThreshold : m.shamirThreshold
    if (groups.length < threshold) {
      throw new CliError(
        `removing this key group will make the Shamir threshold impossible to satisfy: Shamir threshold is ${threshold}, but we only have ${groups.length} key groups`,
        ExitCode.ErrorGeneric,
      )
    }
    return { groups, threshold }
  })
}
