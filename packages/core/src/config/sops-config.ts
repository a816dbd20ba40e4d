/**
 * A loaded `.sops.yaml` and its rule matching (sops' `parseCreationRuleForFile`,
 * `parseDestinationRuleForFile`, `configFromRule`).
 * @module
 */
import { resolve, sep } from "node:path"
import { SopsError, isSopsError } from "../errors.js"
import type { EncryptionOptions, KeyGroup } from "../metadata/model.js"
import { compileGoRegex, tryCompileGoRegex } from "../regex.js"
import { decodeConfig } from "./decode.js"
import { keyGroupsForRule, type RuleKeyOptions } from "./key-groups.js"
import { SELECTION_OPTIONS_TEXT, compactOptions, selectionOptionsSet } from "./options.js"
import type { ConfigFileData, CreationRuleConfig, DestinationRuleConfig, StoresConfig } from "./types.js"

/** What a matching creation rule asks for. */
export interface CreationRule {
  /** The master keys, per group (one group unless the rule has `key_groups`). */
  readonly keyGroups: KeyGroup[]
  /** `shamir_threshold` (0 = not set). */
  readonly shamirThreshold: number
  /** The rule's selection options and `mac_only_encrypted`; empty ones are left out. The
   * default `_unencrypted` suffix is not filled in here (see `resolveEncryptConfig`). */
  readonly options: EncryptionOptions
}

/** Options of {@link SopsConfig.creationRuleFor}. */
export type CreationRuleOptions = RuleKeyOptions

/** A matching destination rule and the keys of its `recreation_rule`. */
export interface DestinationMatch {
  /** The destination rule as written. */
  readonly destination: DestinationRuleConfig
  /** The `recreation_rule`'s keys and options. */
  readonly rule: CreationRule
}

/**
 * A parsed `.sops.yaml`.
 *
 * @example
 * ```ts
 * const config = await loadConfig("/repo/.sops.yaml")
 * const rule = config.creationRuleFor("/repo/secrets/prod.yaml")
 * ```
 */
export class SopsConfig {
  /** The decoded rules and stores section. */
  readonly data: ConfigFileData
  /** The absolute directory of the config file; creation rules match paths relative to it. */
  readonly configDir: string
  /** The config file's path, when it was loaded from a file. */
  readonly path: string | null

  /**
   * @param data - the decoded file
   * @param configDir - the directory of the config file (made absolute)
   * @param path - the file it came from, if any
   */
  constructor(data: ConfigFileData, configDir: string, path: string | null = null) {
    this.data = data
    this.configDir = resolve(configDir)
    this.path = path
  }

  /** The `stores` section (indent settings), with sops' defaults for absent fields. */
  get stores(): StoresConfig {
    return this.data.stores
  }

  /** The `destination_rules` as written (empty when absent). */
  get destinationRules(): readonly DestinationRuleConfig[] {
    return this.data.destinationRules ?? []
  }

  /**
   * The creation rule for `filePath`, with its keys built.
   *
   * An absolute path inside the config's directory is matched relative to it; any other path
   * is matched as given. Rules are tried in order; an empty `path_regex` matches everything,
   * otherwise the Go RE2 regex is searched (unanchored) in the path.
   *
   * @param filePath - the file being created (the CLI passes an absolute path)
   * @returns the rule, or `null` when the config has no `creation_rules` at all (absent or
   *   null), which sops treats like having no config
   * @throws SopsError `ERR_CONFIG` when no rule matches (also for `creation_rules: []`), a
   *   `path_regex` does not compile, or a key of the rule is malformed;
   *   `ERR_CONFLICTING_OPTIONS` when the rule sets more than one selection option
   */
  creationRuleFor(filePath: string, opts?: CreationRuleOptions): CreationRule | null {
    const index = this.creationRuleIndex(filePath)
    return index === null ? null : this.creationRuleAt(index, opts)
  }

  /**
   * Which creation rule {@link creationRuleFor} would use for `filePath`, without building its
   * keys: a caller handling many files (bulk re-keying) builds each rule once and reuses it.
   * @returns the rule's index in `creation_rules`, or `null` when the config has none
   * @throws SopsError as {@link creationRuleFor} does for matching
   */
  creationRuleIndex(filePath: string): number | null {
    const rules = this.data.creationRules
    if (rules === null) return null
    const prefix = this.configDir + sep
    const subject = filePath.startsWith(prefix) ? filePath.slice(prefix.length) : filePath
    for (const [i, rule] of rules.entries()) {
      if (rule.pathRegex === "" || this.pathRegex(rule.pathRegex, i).test(subject)) return i
    }
    throw new SopsError("ERR_CONFIG", "error loading config: no matching creation rules found", {
      details: { path: subject },
    })
  }

  /**
   * The creation rule at `index` in `creation_rules`, with its keys built (each call builds
   * them anew, with `opts`' clock for their creation dates).
   * @throws SopsError `ERR_CONFIG` when there is no such rule or a key of the rule is
   *   malformed; `ERR_CONFLICTING_OPTIONS` when the rule sets more than one selection option
   */
  creationRuleAt(index: number, opts?: CreationRuleOptions): CreationRule {
    const rule = this.data.creationRules?.[index]
    if (rule === undefined) throw new SopsError("ERR_CONFIG", `the config has no creation_rules[${index}]`)
    return this.buildRule(rule, `creation_rules[${index}]`, opts)
  }

  /**
   * The destination rule for `filePath` (`sops publish`). Unlike creation rules the path is
   * matched exactly as given, and a `path_regex` that does not compile never matches (both as
   * in sops).
   * @throws SopsError `ERR_CONFIG` when no rule matches or the rule names more than one
   *   destination, plus the errors of {@link creationRuleFor} for its `recreation_rule`
   */
  destinationRuleFor(filePath: string, opts?: CreationRuleOptions): DestinationMatch {
    const rules = this.destinationRules
    const i = rules.findIndex((r) => r.pathRegex === "" || tryCompileGoRegex(r.pathRegex)?.test(filePath) === true)
    const destination = rules[i]
    if (destination === undefined) {
      throw new SopsError("ERR_CONFIG", "error loading config: no matching destination found in config")
    }
    const count = [destination.s3Bucket, destination.gcsBucket, destination.vaultPath].filter((s) => s !== "").length
    if (count > 1) {
      throw new SopsError(
        "ERR_CONFIG",
        "error loading config: more than one destinations were found in a single destination rule, you can only use one per rule",
        { details: { rule: `destination_rules[${i}]` } },
      )
    }
    return { destination, rule: this.buildRule(destination.recreationRule, `destination_rules[${i}].recreation_rule`, opts) }
  }

  private pathRegex(pattern: string, index: number): { test(s: string): boolean } {
    try {
      return compileGoRegex(pattern)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      throw new SopsError("ERR_CONFIG", `error loading config: creation_rules[${index}].path_regex: can not compile regexp: ${reason}`, {
        cause: err,
        details: { rule: `creation_rules[${index}]` },
      })
    }
  }

  private buildRule(rule: CreationRuleConfig, where: string, opts: CreationRuleOptions | undefined): CreationRule {
    const options = compactOptions({
      unencryptedSuffix: rule.unencryptedSuffix,
      encryptedSuffix: rule.encryptedSuffix,
      unencryptedRegex: rule.unencryptedRegex,
      encryptedRegex: rule.encryptedRegex,
      unencryptedCommentRegex: rule.unencryptedCommentRegex,
      encryptedCommentRegex: rule.encryptedCommentRegex,
      macOnlyEncrypted: rule.macOnlyEncrypted,
    })
    const set = selectionOptionsSet(options)
    if (set.length > 1) {
      throw new SopsError(
        "ERR_CONFLICTING_OPTIONS",
        `error loading config: cannot use more than one of ${SELECTION_OPTIONS_TEXT} for the same rule`,
        { details: { rule: where, options: set } },
      )
    }
    let keyGroups: KeyGroup[]
    try {
      keyGroups = keyGroupsForRule(rule, opts)
    } catch (err) {
      if (isSopsError(err, "ERR_INVALID_ARGUMENT")) {
        throw new SopsError("ERR_CONFIG", `error loading config: ${where}: ${err.message}`, {
          cause: err,
          details: { rule: where },
        })
      }
      throw err
    }
    return { keyGroups, shamirThreshold: rule.shamirThreshold, options }
  }
}

/**
 * Parses the text of a `.sops.yaml`.
 * @param text - the file's content
 * @param configDir - the directory the file is in (creation rules match paths relative to it)
 * @throws SopsError `ERR_CONFIG` for invalid YAML or a field of the wrong type
 */
export function parseConfig(text: string, configDir: string): SopsConfig {
  return new SopsConfig(decodeConfig(text), configDir)
}
