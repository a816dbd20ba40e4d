/**
 * @sops-ts/rekey: bulk re-keying and rotation of sops files at repository scale —
 * concurrent with per-provider limits, atomic per file, resumable through a journal.
 * @module
 */
export { rekey, runFingerprint, DEFAULT_CONCURRENCY } from "./rekey.js"
export { REKEY_OPERATIONS } from "./types.js"
export type {
  RekeyOperation,
  RekeyOptions,
  RekeyResult,
  RekeyProgress,
  RekeyTotals,
  FileOutcome,
  FileStatus,
  KeyChange,
} from "./types.js"
export { selectFiles } from "./select.js"
export type { SelectOptions, Selection } from "./select.js"
export { compileGlob, hasGlobMagic } from "./glob.js"
export { parseGitignore, isIgnored } from "./gitignore.js"
export type { IgnoreFile } from "./gitignore.js"
export { limitKeyServices, Semaphore, DEFAULT_PROVIDER_LIMITS, DEFAULT_PROVIDER_LIMIT } from "./limiter.js"
export { looksLikeSopsFile } from "./detect.js"
export { Journal, sha256Hex } from "./journal.js"
export type { JournalEntry, JournalSink } from "./journal.js"
export { describeOutcome, summaryTable, reportJson, writeReport, REPORT_VERSION } from "./report.js"
export { runRekeyCommand, REKEY_EXIT } from "./command.js"
export { parseRekeyArgs, REKEY_USAGE } from "./args.js"
export type { RekeyArgs } from "./args.js"
export { progressLine, ProgressView } from "./progress.js"
export type { TextSink } from "./progress.js"
export type { RekeyCommandIo } from "./command.js"
