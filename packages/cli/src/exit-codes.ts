/**
 * sops' exit codes (`cmd/sops/codes/codes.go`, spec section 9.4) and the one table that maps
 * a {@link SopsError} code to them. Commands whose meaning of a code differs (a bad path is
 * 91 for `--extract` but 7 for `set`) pass overrides.
 * @module
 */
import { SopsError, type SopsErrorCode } from "@sops-ts/core"

/** The exit codes sops uses, by their Go names. */
export const ExitCode = {
  Ok: 0,
  ErrorGeneric: 1,
  CouldNotReadInputFile: 2,
  CouldNotWriteOutputFile: 3,
  ErrorDumpingTree: 4,
  ErrorReadingConfig: 5,
  ErrorInvalidKMSEncryptionContextFormat: 6,
  ErrorInvalidSetFormat: 7,
  ErrorConflictingParameters: 8,
  ErrorEncryptingMac: 21,
  ErrorEncryptingTree: 23,
  ErrorDecryptingMac: 24,
  ErrorDecryptingTree: 25,
  CannotChangeKeysFromNonExistentFile: 49,
  MacMismatch: 51,
  MacNotFound: 52,
  ConfigFileNotFound: 61,
  KeyboardInterrupt: 85,
  InvalidTreePathFormat: 91,
  NeedAtLeastOneDocument: 92,
  NoFileSpecified: 100,
  NoEncryptionKeyFound: 111,
  DuplicateDecryptionKeyType: 112,
  CouldNotRetrieveKey: 128,
  FileHasNotBeenModified: 200,
  NoEditorFound: 201,
  FailedToCompareVersions: 202,
  FileAlreadyEncrypted: 203,
} as const

/** Default exit code of each error code (what sops returns for the same failure). */
const DEFAULT_EXIT: Readonly<Record<SopsErrorCode, number>> = {
  ERR_FORMAT: ExitCode.ErrorGeneric,
  ERR_DUPLICATE_KEY: ExitCode.ErrorGeneric,
  ERR_METADATA_MISSING: ExitCode.ErrorGeneric,
  ERR_METADATA_INVALID: ExitCode.ErrorGeneric,
  ERR_VERSION_UNSUPPORTED: ExitCode.ErrorGeneric,
  ERR_VALUE_INVALID: ExitCode.ErrorDecryptingTree,
  ERR_DECRYPT_FAILED: ExitCode.ErrorDecryptingTree,
  ERR_MAC_MISMATCH: ExitCode.MacMismatch,
  ERR_NO_DATA_KEY: ExitCode.CouldNotRetrieveKey,
  ERR_KEY_FAILED: ExitCode.CouldNotRetrieveKey,
  ERR_KEY_UNAVAILABLE: ExitCode.CouldNotRetrieveKey,
  ERR_KEY_WRAP: ExitCode.ErrorGeneric,
  ERR_KEY_GROUPS: ExitCode.ErrorGeneric,
  ERR_ALREADY_ENCRYPTED: ExitCode.FileAlreadyEncrypted,
  ERR_NO_DOCUMENT: ExitCode.NeedAtLeastOneDocument,
  ERR_UNSUPPORTED_VALUE: ExitCode.ErrorDumpingTree,
  ERR_CONFLICTING_OPTIONS: ExitCode.ErrorConflictingParameters,
  ERR_CONFIG: ExitCode.ErrorGeneric,
  ERR_PATH_INVALID: ExitCode.InvalidTreePathFormat,
  ERR_PATH_NOT_FOUND: ExitCode.ErrorGeneric,
  ERR_REGEX_INVALID: ExitCode.ErrorGeneric,
  ERR_DECRYPTION_ORDER: ExitCode.DuplicateDecryptionKeyType,
  ERR_IO: ExitCode.CouldNotReadInputFile,
  ERR_INVALID_ARGUMENT: ExitCode.ErrorGeneric,
  ERR_ABORTED: ExitCode.ErrorGeneric,
}

/** Per-command changes to {@link DEFAULT_EXIT}. */
export type ExitOverrides = Partial<Record<SopsErrorCode, number>>

/**
 * An error the CLI raises itself, with the exact exit code sops uses (usage errors, files
 * that do not exist, child processes that failed).
 */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number
  /**
   * @param message - printed on stderr as is
   * @param exitCode - the exit code
   */
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = "CliError"
    this.exitCode = exitCode
  }
}

/** A child process ended with a status that the CLI passes through (no message printed). */
export class ChildExit extends Error {
  readonly exitCode: number
  /** @param exitCode - the child's exit status (128 + signal number when killed) */
  constructor(exitCode: number) {
    super(`child exited with status ${exitCode}`)
    this.name = "ChildExit"
    this.exitCode = exitCode
  }
}

/** The exit code for any thrown value. */
export function exitCodeFor(err: unknown, overrides: ExitOverrides = {}): number {
  if (err instanceof CliError || err instanceof ChildExit) return err.exitCode
  if (err instanceof SopsError) return overrides[err.code] ?? DEFAULT_EXIT[err.code] ?? ExitCode.ErrorGeneric
  return ExitCode.ErrorGeneric
}
