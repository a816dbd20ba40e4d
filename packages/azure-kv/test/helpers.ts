/** Shared setup of the Azure provider tests. */
import { isSopsError, type SopsError } from "@sops-ts/core"
import type { AzureKvEmulator } from "@sops-ts/testkit"
import { azureKeyVaultKeyService, type AzureKeyVaultOptions } from "../src/index.js"

/** A service wired to the emulator: its credential, its TLS agent, fast retries. */
export function serviceFor(kv: AzureKvEmulator, extra: AzureKeyVaultOptions = {}) {
  return azureKeyVaultKeyService({
    credential: kv.credential,
    retryDelayMs: 1,
    ...extra,
    clientOptions: { agent: kv.agent, ...extra.clientOptions },
  })
}

/** The SopsError a promise rejects with. */
export async function failure(p: Promise<unknown>): Promise<SopsError> {
  const err = await p.then(
    () => {
      throw new Error("expected a rejection")
    },
    (e: unknown) => e,
  )
  if (!isSopsError(err)) throw new Error(`expected a SopsError, got ${String(err)}`)
  return err
}
