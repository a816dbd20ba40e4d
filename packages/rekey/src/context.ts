/**
 * Building the per-run {@link FileContext} from options, shared by the in-process run and by
 * each worker thread, so both process a file with exactly the same settings.
 * @module
 */
import type { Format, KeyService, SopsConfig, StoreOptions } from "@sops-ts/core"
import type { JournalSink } from "./journal.js"
import { limitKeyServices } from "./limiter.js"
import type { PlanInput } from "./plan.js"
import type { FileContext } from "./process-file.js"
import type { RekeyOptions } from "./types.js"

/** The store options (indentation) a file of each format is written with. */
export function storeOptionsFrom(config: SopsConfig | null): (format: Format) => StoreOptions {
  if (config === null) return () => ({})
  const s = config.stores
  return (format) => {
    if (format === "yaml") return { indent: s.yaml.indent }
    if (format === "json") return { indent: s.json.indent }
    if (format === "binary") return { indent: s.jsonBinary.indent }
    return {}
  }
}

/** The plan inputs of a run: everything about the job that does not depend on the file. */
export function planInputFrom(options: RekeyOptions, config: SopsConfig | null): PlanInput {
  return {
    operation: options.operation,
    addKeys: options.addKeys ?? [],
    removeKeys: options.removeKeys ?? [],
    migrate: options.migrate ?? null,
    rotate: options.rotate === true,
    config,
  }
}

/**
 * The context every file of a run shares.
 * @param keyServices - already resolved; wrapped here behind the per-provider limits
 * @param providerLimits - limits per key type (a worker passes its share of the run's limits)
 */
export function fileContext(
  options: RekeyOptions,
  config: SopsConfig | null,
  keyServices: readonly KeyService[],
  providerLimits: Readonly<Partial<Record<string, number>>> | undefined,
  journal: JournalSink | null,
): FileContext {
  return {
    plan: planInputFrom(options, config),
    apply: {
      keyServices: limitKeyServices(keyServices, providerLimits),
      verify: options.verify !== false,
      ...(options.decryptionOrder ? { decryptionOrder: options.decryptionOrder } : {}),
      ...(options.now ? { now: options.now } : {}),
    },
    storeOptionsFor: storeOptionsFrom(config),
    dryRun: options.dryRun === true,
    journal,
  }
}
