/**
 * Loading and decrypting an encrypted file for a command (sops' `LoadEncryptedFile` +
 * `DecryptTree`).
 * @module
 */
import { openDocument, parseEncrypted, type Format, type OpenedDocument, type StoreOptions } from "@sops-ts/core"
import { decryptionOrder, type CommandContext } from "./context.js"

/** Options of {@link openInput}. */
export interface OpenInputOptions {
  readonly format: Format
  readonly storeOptions?: StoreOptions
  readonly ignoreMac?: boolean
  /** Keep IVs so unchanged values re-encrypt identically (edit, set, unset). */
  readonly reuseIvs?: boolean
}

/** Parses `bytes` and decrypts them with the run's key services. */
export async function openInput(ctx: CommandContext, bytes: Uint8Array, options: OpenInputOptions): Promise<OpenedDocument> {
  const doc = parseEncrypted(bytes, options.format, options.storeOptions ?? {})
  const order = decryptionOrder(ctx.flags)
  return openDocument(doc, {
    keyServices: ctx.keyServices(),
    ...(order ? { decryptionOrder: order } : {}),
    ...(options.ignoreMac ? { ignoreMac: true } : {}),
    ...(options.reuseIvs ? { reuseIvs: true } : {}),
  })
}
