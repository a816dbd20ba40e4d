/**
 * `sops-ts updatekeys [-y] file...` (sops `subcommand/updatekeys`): make each file's master
 * keys those of its `.sops.yaml` creation rule, re-wrapping the same data key.
 * @module
 */
import { stat } from "node:fs/promises"
import { keyId, parseEncrypted, updateKeys, type KeyGroup, type SopsConfig } from "@sops-ts/core"
import { absPath, decryptionOrder, formatsFor, message, readInput, storeOptions, writeResult, type CommandContext } from "../context.js"
import { CliError, ExitCode } from "../exit-codes.js"
import { say } from "../io.js"
import { LineReader } from "../prompt.js"

interface GroupDiff {
  common: string[]
  added: string[]
  removed: string[]
}

function diffGroups(ours: readonly KeyGroup[], theirs: readonly KeyGroup[]): GroupDiff[] {
  const out: GroupDiff[] = []
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    const a = (ours[i] ?? []).map(keyId)
    const b = (theirs[i] ?? []).map(keyId)
    out.push({ common: a.filter((x) => b.includes(x)), added: b.filter((x) => !a.includes(x)), removed: a.filter((x) => !b.includes(x)) })
  }
  return out
}

/** Runs `updatekeys`. */
export async function updatekeysCommand(ctx: CommandContext): Promise<number> {
  const { io, positionals } = ctx
  if (positionals.length < 1) throw new CliError("Error: no file specified", ExitCode.NoFileSpecified)
  const config = await ctx.config()
  if (config === null) throw new CliError("config file not found and no --config given: updatekeys needs a .sops.yaml", ExitCode.ErrorGeneric)
  const reader = new LineReader(io)
  let failed = 0
  for (const arg of positionals) {
    try {
      await updateOne(ctx, config, absPath(io, arg), reader)
    } catch (err) {
      if (positionals.length === 1) throw err
      say(io, `[ERROR] could not update ${arg}: ${message(err)}`)
      failed++
    }
  }
  if (failed > 0) throw new CliError(`failed updating ${failed} key(s)`, ExitCode.ErrorGeneric)
  return ExitCode.Ok
}

async function updateOne(ctx: CommandContext, config: SopsConfig, path: string, reader: LineReader): Promise<void> {
  const { io, flags } = ctx
  const st = await stat(path).catch((err: unknown) => {
    throw new CliError(message(err), ExitCode.ErrorGeneric, { cause: err })
  })
  if (st.isDirectory()) throw new CliError("can't operate on a directory", ExitCode.ErrorGeneric)
  const { input } = formatsFor(flags, path)
  const opts = await storeOptions(ctx, input, false)
  say(io, `[INFO] Syncing keys for file ${path}`)
  const bytes = await readInput(io, path)
  const doc = parseEncrypted(bytes, input, opts)
  const rule = config.creationRuleFor(path)
  if (rule === null) throw new CliError(`The config file ${config.path ?? ""} does not contain any creation rule`, ExitCode.ErrorGeneric)
  const diffs = diffGroups(doc.metadata.keyGroups, rule.keyGroups)
  const keysChange = diffs.some((d) => d.added.length > 0 || d.removed.length > 0)
  const flagThreshold = flags.int("shamir-secret-sharing-threshold")
  const oldT = doc.metadata.shamirThreshold
  const newT = Math.min(flagThreshold !== 0 ? flagThreshold : oldT, rule.keyGroups.length)
  if (!keysChange && oldT === newT) {
    say(io, `[INFO] File ${path} already up to date`)
    return
  }
  const lines = ["The following changes will be made to the file's groups:"]
  if (oldT > 0 && oldT === newT) lines.push(`shamir_threshold: ${newT}`)
  else {
    if (newT > 0) lines.push(`+++ shamir_threshold: ${newT}`)
    if (oldT > 0) lines.push(`--- shamir_threshold: ${oldT}`)
  }
  diffs.forEach((d, i) => {
    lines.push(`Group ${i + 1}`)
    for (const c of d.common) lines.push(`    ${c}`)
    for (const c of d.added) lines.push(`+++ ${c}`)
    for (const c of d.removed) lines.push(`--- ${c}`)
  })
  io.stdout.write(lines.join("\n") + "\n")
  if (!flags.bool("yes")) {
    let answer: string | null = ""
    while (answer !== "y" && answer !== "n") {
      io.stdout.write("Is this okay? (y/n):")
      answer = await reader.line()
      if (answer === null) throw new CliError("no answer on standard input (use --yes to run non-interactively)", ExitCode.ErrorGeneric)
      answer = answer.trim()
    }
    if (answer === "n") {
      say(io, `[INFO] File ${path} left unchanged`)
      return
    }
  }
  const order = decryptionOrder(flags)
  const result = await updateKeys(bytes, {
    format: input,
    keyGroups: rule.keyGroups,
    ...(newT !== 0 ? { shamirThreshold: newT } : {}),
    keyServices: ctx.keyServices(),
    ...(order ? { decryptionOrder: order } : {}),
    ...(opts.indent === undefined ? {} : { indent: opts.indent }),
  })
  await writeResult(io, result.output, { inPlace: path })
  say(io, `[INFO] File ${path} synced with new keys`)
}
