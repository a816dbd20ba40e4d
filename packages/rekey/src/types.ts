/**
 * The public types of a bulk re-key run: options, per-file outcomes, progress and result.
 * @module
 */
import type { KeyService, KeyType, MasterKey, SopsConfig } from "@sops-ts/core"

/**
 * What to do to every file.
 * - `updatekeys`: make the master keys those of the file's `.sops.yaml` creation rule (same data key).
 * - `rotate`: new data key, every value re-encrypted, every master key wrapped again.
 * - `add`: add master keys (to the first key group) of every file that lacks them.
 * - `remove`: remove master keys from every group of every file that has them.
 * - `migrate`: replace every key of the `from` types by the `to` keys, in the groups that had them.
 */
export type RekeyOperation = "updatekeys" | "rotate" | "add" | "remove" | "migrate"

/** The operations, for argument validation. */
export const REKEY_OPERATIONS: readonly RekeyOperation[] = ["updatekeys", "rotate", "add", "remove", "migrate"]

/** Options of {@link rekey}. */
export interface RekeyOptions {
  /** Files, directories and globs (relative ones resolved against `cwd`). */
  readonly files: readonly string[]
  readonly operation: RekeyOperation
  /** Key services to unwrap and wrap with (default: the core's registered ones). */
  readonly keyServices?: readonly KeyService[]
  /** Working directory for relative inputs and the `.sops.yaml` lookup (default `process.cwd()`). */
  readonly cwd?: string
  /** `add` (and `rotate`): keys to add to the first group. */
  readonly addKeys?: readonly MasterKey[]
  /** `remove` (and `rotate`): keys to remove from every group (matched by type and id). */
  readonly removeKeys?: readonly MasterKey[]
  /** `migrate`: the key types to replace and the keys that replace them. */
  readonly migrate?: { readonly from: readonly KeyType[]; readonly to: readonly MasterKey[] }
  /**
   * Also generate a new data key for `updatekeys`, `add`, `remove` and `migrate`. Recommended
   * when a removed key may be compromised: without it the old data key stays valid.
   */
  readonly rotate?: boolean
  /** `updatekeys`: the config, or a path to it (default: `.sops.yaml` found from `cwd` upwards). */
  readonly config?: SopsConfig | string
  /** Files processed at once (default 64: the work is dominated by key-service latency). */
  readonly concurrency?: number
  /**
   * Worker threads to process files on (default 0: everything runs on the calling thread).
   * Use it when the run is CPU-bound (thousands of files against a fast or local key
   * service) on a machine with several cores; `os.availableParallelism()` is a good value.
   * Needs {@link keyServicesModule}, since key-service objects cannot cross threads; the
   * journal, scheduling, progress and signal stay on the calling thread. Not combinable with
   * `keyServices` or `now`.
   */
  readonly workers?: number
  /**
   * With `workers`: a module (path, relative to `cwd`, or URL) exporting
   * `createKeyServices(options)` (or a default export), returning the key services, or a
   * promise of them. Each worker calls it once with {@link keyServicesOptions}; services
   * with a `close()` method are closed at the end.
   */
  readonly keyServicesModule?: string
  /** With `workers`: the argument of `createKeyServices` (structured-cloneable data). */
  readonly keyServicesOptions?: unknown
  /** Simultaneous key-service calls per key type, e.g. `{ kms: 16, pgp: 4 }`; with workers, the run's total. */
  readonly providerLimits?: Readonly<Partial<Record<string, number>>>
  /** Plan only: nothing is written and no key service is called. */
  readonly dryRun?: boolean
  /** Path of the JSONL journal that lets a rerun skip files already done. */
  readonly journal?: string
  /** Stop scheduling files (those in flight finish, the rest are `cancelled`). */
  readonly signal?: AbortSignal
  /** Called when the run starts and after every file. */
  readonly onProgress?: (progress: RekeyProgress) => void
  /** Key type order within a group when unwrapping (default `age,pgp`, then file order). */
  readonly decryptionOrder?: readonly string[]
  /**
   * Check each file's MAC with the recovered data key before rewriting it (default true), so a
   * tampered or corrupt file is reported instead of re-keyed.
   */
  readonly verify?: boolean
  /** List directories with `git ls-files` inside a work tree (default true). */
  readonly useGit?: boolean
  /** Clock for `lastmodified` of rotated files. */
  readonly now?: () => Date
}

/** The outcome of one file. */
export type FileStatus =
  /** Rewritten. */
  | "updated"
  /** A sops file that needed no change. */
  | "unchanged"
  /** Dry run: would be rewritten. */
  | "planned"
  /** Skipped: the journal shows this file already done by an earlier run. */
  | "done-earlier"
  /** Skipped: not a sops-encrypted file. */
  | "not-sops"
  | "failed"
  /** Not started because the run was stopped. */
  | "cancelled"

/** One master key added or removed. */
export interface KeyChange {
  /** Key group index (0-based). */
  readonly group: number
  readonly type: string
  /** The key's identifier (recipient, fingerprint, ARN...). */
  readonly id: string
}

/** What happened to one file. */
export interface FileOutcome {
  /** Absolute path (symbolic links resolved). */
  readonly path: string
  readonly status: FileStatus
  readonly added: readonly KeyChange[]
  readonly removed: readonly KeyChange[]
  /** Whether the data key is (or would be) replaced. */
  readonly rotated: boolean
  /** For `failed`: the SopsError code and a secret-free message. */
  readonly error?: { readonly code: string; readonly message: string }
  readonly durationMs: number
  /** SHA-256 (hex) of the file before and after. */
  readonly hashBefore?: string
  readonly hashAfter?: string
}

/** Counts per status. */
export type RekeyTotals = Record<FileStatus, number>

/** Progress after each file. */
export interface RekeyProgress {
  readonly total: number
  /** Files finished (any status). */
  readonly done: number
  readonly failed: number
  readonly inFlight: number
  readonly elapsedMs: number
  /** Files per second so far. */
  readonly rate: number
  /** Estimated time to finish, or null before the first file. */
  readonly etaMs: number | null
  /** The file just finished (absent in the first call). */
  readonly last?: FileOutcome
}

/** The result of {@link rekey}. */
export interface RekeyResult {
  readonly operation: RekeyOperation
  readonly dryRun: boolean
  /** True when the signal stopped the run early. */
  readonly interrupted: boolean
  readonly startedAt: string
  readonly durationMs: number
  /** One outcome per selected file, in selection order. */
  readonly files: readonly FileOutcome[]
  /** Inputs that matched no file. */
  readonly unmatched: readonly string[]
  readonly totals: RekeyTotals
}
