/**
 * Subcommands that live in their own packages and parse their own flags: the package is
 * imported only when the command runs, so `sops-ts decrypt` never loads gRPC or the audit code.
 * @module
 */
import type { CliIo } from "../io.js"
import { buildKeyServices } from "../providers.js"

/** A subcommand implemented by another package. */
export type MountedCommand = (argv: readonly string[], io: CliIo) => Promise<number>

/** `sops-ts keyservice`: serves this machine's key services over sops' gRPC protocol. */
const keyservice: MountedCommand = async (argv, io) => {
  const { runKeyServiceCommand } = await import("@sops-ts/keyservice")
  return runKeyServiceCommand(argv, io, buildKeyServices({ env: io.env, pluginPrompts: { messages: io.stderr, terminal: io.inheritStdio === true } }))
}

/** `sops-ts audit`: inventory, policy findings and reports for a repository. */
const audit: MountedCommand = async (argv, io) => {
  const { runAuditCommand } = await import("@sops-ts/audit")
  return runAuditCommand(argv, {
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    cwd: io.cwd,
    isTTY: io.inheritStdio === true && process.stdout.isTTY === true,
    keyServices: buildKeyServices({ env: io.env, pluginPrompts: { messages: io.stderr, terminal: io.inheritStdio === true } }),
  })
}

/** `sops-ts rekey`: updatekeys, rotate, add/remove or migrate keys across many files at once. */
const rekey: MountedCommand = async (argv, io) => {
  const { runRekeyCommand } = await import("@sops-ts/rekey")
  return runRekeyCommand([...argv], {
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    cwd: io.cwd,
    isTTY: io.inheritStdio === true && process.stderr.isTTY === true,
    keyServices: buildKeyServices({ env: io.env, pluginPrompts: { messages: io.stderr, terminal: io.inheritStdio === true } }),
  })
}

/** The mounted subcommands, by name. */
export const MOUNTED: Readonly<Record<string, MountedCommand>> = { keyservice, audit, rekey }
