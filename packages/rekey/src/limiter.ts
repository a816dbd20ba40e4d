/**
 * Concurrency limits: a counting semaphore, and a wrapper that puts every key-service call
 * behind a per-provider semaphore (keyed by master-key type), so a bulk run can keep many
 * files in flight without sending more than N requests at once to one KMS, or starting more
 * than N gpg processes.
 * @module
 */
import type { KeyOperationOptions, KeyService, MasterKey } from "@sops-ts/core"

/** A counting semaphore with a FIFO queue. */
export class Semaphore {
  private active = 0
  private readonly waiting: (() => void)[] = []

  /** @param limit - how many holders at once (at least 1) */
  constructor(readonly limit: number) {}

  /** Runs `fn` once a slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r))
    else this.active++
    try {
      return await fn()
    } finally {
      // Hand the slot straight to the next waiter so `active` never dips and lets a newcomer in.
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}

/**
 * Default simultaneous calls per key type: remote services are I/O bound, gpg forks.
 *
 * AWS KMS gets as many as the default file concurrency: its request quota for cryptographic
 * operations (5,500 to 100,000 per second, depending on the region) is far above what 64
 * calls in flight produce, and a lower cap stalls a busy run, since each call also waits for
 * the event loop to get to its answer. GCP (1,000 per second per project by default), Azure
 * and Vault keep a tighter cap; throttling is retried either way.
 */
export const DEFAULT_PROVIDER_LIMITS: Readonly<Record<string, number>> = {
  age: 64,
  pgp: 8,
  kms: 64,
  gcp_kms: 32,
  azure_kv: 32,
  hc_vault: 32,
  hckms: 32,
}

/** Limit for key types not listed. */
export const DEFAULT_PROVIDER_LIMIT = 32

/**
 * Wraps key services so that calls for keys of one type share one semaphore across all the
 * services and files of a run.
 * @param services - the caller's key services (not modified)
 * @param limits - per key type, overriding {@link DEFAULT_PROVIDER_LIMITS}
 */
export function limitKeyServices(
  services: readonly KeyService[],
  limits: Readonly<Partial<Record<string, number>>> = {},
): KeyService[] {
  const semaphores = new Map<string, Semaphore>()
  const slot = (key: MasterKey): Semaphore => {
    let s = semaphores.get(key.type)
    if (!s) {
      const n = limits[key.type] ?? DEFAULT_PROVIDER_LIMITS[key.type] ?? DEFAULT_PROVIDER_LIMIT
      s = new Semaphore(Math.max(1, Math.floor(n)))
      semaphores.set(key.type, s)
    }
    return s
  }
  return services.map((svc) => ({
    name: svc.name,
    supports: (key: MasterKey) => svc.supports(key),
    encrypt: (key: MasterKey, dataKey: Uint8Array, options?: KeyOperationOptions) =>
      slot(key).run(() => svc.encrypt(key, dataKey, options)),
    decrypt: (key: MasterKey, options?: KeyOperationOptions) => slot(key).run(() => svc.decrypt(key, options)),
  }))
}
