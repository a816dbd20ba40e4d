/**
 * Planning one file: from its current key groups and the operation, the key groups it must
 * end up with, whether its data key is replaced, and the keys added and removed. Planning
 * calls no key service, which is what makes `--dry-run` free.
 * @module
 */
import { SopsError, keyId, type CreationRule, type KeyGroup, type KeyType, type MasterKey, type Metadata, type SopsConfig } from "@sops-ts/core"
import type { KeyChange, RekeyOperation } from "./types.js"

/** The inputs of a plan that do not depend on the file. */
export interface PlanInput {
  readonly operation: RekeyOperation
  readonly addKeys: readonly MasterKey[]
  readonly removeKeys: readonly MasterKey[]
  readonly migrate: { readonly from: readonly KeyType[]; readonly to: readonly MasterKey[] } | null
  readonly rotate: boolean
  /** For `updatekeys`. */
  readonly config: SopsConfig | null
}

/** What must happen to one file. */
export interface FilePlan {
  /** The key groups to write. Keys kept from the file carry their `enc`; new ones have "". */
  readonly groups: KeyGroup[]
  readonly threshold: number
  readonly rotate: boolean
  readonly added: KeyChange[]
  readonly removed: KeyChange[]
  /** Whether anything changes. */
  readonly changed: boolean
}

/** The identity of a master key for comparisons: type plus sops' key string. */
export function keyIdentity(k: MasterKey): string {
  return `${k.type}\u0000${keyId(k)}`
}

function withoutDuplicates(keys: readonly MasterKey[]): MasterKey[] {
  const seen = new Set<string>()
  return keys.filter((k) => {
    const id = keyIdentity(k)
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
}

/** New groups for `add`: keys not present anywhere go to group 0 (as sops' `--add-*`). */
function addTo(groups: KeyGroup[], add: readonly MasterKey[]): KeyGroup[] {
  const present = new Set(groups.flat().map(keyIdentity))
  const missing = withoutDuplicates(add).filter((k) => !present.has(keyIdentity(k)))
  if (missing.length === 0) return groups
  const out = groups.map((g) => [...g])
  if (out.length === 0) out.push([])
  out[0]!.push(...missing.map((k) => ({ ...k, enc: "" })))
  return out
}

function removeFrom(groups: KeyGroup[], remove: readonly MasterKey[]): KeyGroup[] {
  if (remove.length === 0) return groups
  const rm = new Set(remove.map(keyIdentity))
  return groups.map((g) => g.filter((k) => !rm.has(keyIdentity(k))))
}

function migrateGroups(groups: KeyGroup[], from: readonly KeyType[], to: readonly MasterKey[]): KeyGroup[] {
  const fromSet = new Set<string>(from)
  return groups.map((g) => {
    if (!g.some((k) => fromSet.has(k.type))) return g
    const kept = g.filter((k) => !fromSet.has(k.type))
    const present = new Set(kept.map(keyIdentity))
    return [...kept, ...withoutDuplicates(to).filter((k) => !present.has(keyIdentity(k))).map((k) => ({ ...k, enc: "" }))]
  })
}

/**
 * Built creation rules per config and rule index. A run plans thousands of files against the
 * same few rules; building a rule parses and validates every key string, which would
 * otherwise be repeated for each file. Rules are treated as read-only by the planner.
 */
const builtRules = new WeakMap<SopsConfig, Map<number, CreationRule>>()

function ruleFor(config: SopsConfig, path: string): CreationRule | null {
  const index = config.creationRuleIndex(path)
  if (index === null) return null
  let byIndex = builtRules.get(config)
  if (byIndex === undefined) builtRules.set(config, (byIndex = new Map()))
  const cached = byIndex.get(index)
  if (cached !== undefined) return cached
  const rule = config.creationRuleAt(index)
  byIndex.set(index, rule)
  return rule
}

/** `updatekeys`: the rule's keys, reusing the file's own entry (with its `enc`) for keys it already has. */
function fromRule(metadata: Metadata, path: string, config: SopsConfig | null): { groups: KeyGroup[]; threshold: number } {
  if (config === null) {
    throw new SopsError("ERR_CONFIG", "updatekeys needs a .sops.yaml: none was found from the working directory upwards")
  }
  const rule = ruleFor(config, path)
  if (rule === null) throw new SopsError("ERR_CONFIG", `the config file ${config.path ?? "(in memory)"} has no creation_rules`)
  const old = metadata.keyGroups
  const groups = rule.keyGroups.map((g, gi) => {
    const existing = new Map((old[gi] ?? []).map((k) => [keyIdentity(k), k]))
    return withoutDuplicates(g).map((k) => existing.get(keyIdentity(k)) ?? { ...k, enc: "" })
  })
  let threshold = metadata.shamirThreshold
  if (groups.length > 1) {
    const wanted = rule.shamirThreshold || metadata.shamirThreshold || groups.length
    threshold = Math.min(wanted, groups.length)
  }
  return { groups, threshold }
}

function diff(old: readonly KeyGroup[], next: readonly KeyGroup[]): { added: KeyChange[]; removed: KeyChange[] } {
  const added: KeyChange[] = []
  const removed: KeyChange[] = []
  for (let gi = 0; gi < Math.max(old.length, next.length); gi++) {
    const a = new Set((old[gi] ?? []).map(keyIdentity))
    const b = new Set((next[gi] ?? []).map(keyIdentity))
    for (const k of next[gi] ?? []) if (!a.has(keyIdentity(k))) added.push({ group: gi, type: k.type, id: keyId(k) })
    for (const k of old[gi] ?? []) if (!b.has(keyIdentity(k))) removed.push({ group: gi, type: k.type, id: keyId(k) })
  }
  return { added, removed }
}

/**
 * Plans one file.
 * @param metadata - the file's parsed metadata
 * @param path - the file's absolute path (matched against creation rules)
 * @throws SopsError `ERR_CONFIG` (updatekeys without a matching rule), `ERR_KEY_GROUPS` when a
 *   group would be left without keys
 */
export function planFile(metadata: Metadata, path: string, input: PlanInput): FilePlan {
  const old = metadata.keyGroups
  let groups: KeyGroup[] = old
  let threshold = metadata.shamirThreshold
  let rotate = input.rotate
  switch (input.operation) {
    case "updatekeys":
      ;({ groups, threshold } = fromRule(metadata, path, input.config))
      break
    case "rotate":
      rotate = true
      groups = removeFrom(addTo(old, input.addKeys), input.removeKeys)
      break
    case "add":
      groups = addTo(old, input.addKeys)
      break
    case "remove":
      groups = removeFrom(old, input.removeKeys)
      break
    case "migrate":
      if (input.migrate) groups = migrateGroups(old, input.migrate.from, input.migrate.to)
      break
  }
  const { added, removed } = diff(old, groups)
  const keysChanged = added.length > 0 || removed.length > 0 || threshold !== metadata.shamirThreshold
  // A bare --rotate on a file the operation leaves alone would still rotate it: only rotate
  // files the operation touches, unless rotating is the operation itself.
  if (input.operation !== "rotate" && !keysChanged) rotate = false
  const changed = keysChanged || rotate
  if (changed) {
    if (groups.length === 0) throw new SopsError("ERR_KEY_GROUPS", "the change would leave the file without key groups")
    groups.forEach((g, gi) => {
      if (g.length === 0) {
        throw new SopsError(
          "ERR_KEY_GROUPS",
          `the change would leave key group ${gi + 1} without master keys; add a replacement key in the same run`,
        )
      }
    })
    if (groups.length > 1 && threshold > groups.length) {
      throw new SopsError("ERR_KEY_GROUPS", `the Shamir threshold (${threshold}) would exceed the number of key groups (${groups.length})`)
    }
  }
  return { groups, threshold, rotate, added, removed, changed }
}
