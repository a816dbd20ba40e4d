/**
 * What every file check needs: the root, the policy, `.sops.yaml`, the clock, and facts
 * gathered in a first pass over the repository (secretGenerator inputs, PGP key sizes).
 * @module
 */
import { posix, resolve, sep } from "node:path"
import { compileGoRegex, isSopsError, storeFor, treeToObject, type CreationRule, type SopsConfig } from "@sops-ts/core"
import { FixCommands } from "./fixes.js"
import type { Finding, FindingKind } from "./model.js"
import { severityFor, type AuditPolicy } from "./policy.js"
import { pgpKeysOf, type PgpKeyInfo } from "./rsa-keys.js"

/** A creation rule that matches a path. */
export interface RuleMatch {
  readonly index: number
  /** True when the rule has no `path_regex` (it matches every file, so says nothing about secrets). */
  readonly catchAll: boolean
}

/** Shared state of one audit run. */
export class AuditContext {
  readonly fixes: FixCommands
  /** Relative paths read by kustomize `secretGenerator`s. */
  readonly generatorInputs = new Set<string>()
  /** OpenPGP keys found in key files, by fingerprint. */
  readonly pgpKeys = new Map<string, PgpKeyInfo>()
  private readonly regexCache = new Map<number, { test(s: string): boolean } | null>()

  constructor(
    /** Absolute audited root. */
    readonly root: string,
    readonly policy: AuditPolicy,
    readonly config: SopsConfig | null,
    readonly now: Date,
  ) {
    this.fixes = new FixCommands(policy.sopsCommand)
  }

  /** Builds a finding with the policy's severity for its kind. */
  finding(kind: FindingKind, file: string, message: string, fix: Finding["fix"], extra: Partial<Pick<Finding, "location" | "line" | "details">> = {}): Finding {
    return { kind, severity: severityFor(this.policy, kind), file, message, fix, ...extra }
  }

  private subject(rel: string): string {
    const abs = resolve(this.root, rel)
    const prefix = (this.config?.configDir ?? "") + sep
    return abs.startsWith(prefix) ? abs.slice(prefix.length).split(sep).join("/") : abs
  }

  /** The first creation rule matching `rel` (sops' first-match semantics), or null. */
  ruleFor(rel: string): RuleMatch | null {
    const rules = this.config?.data.creationRules
    if (!rules) return null
    const subject = this.subject(rel)
    for (const [index, rule] of rules.entries()) {
      if (rule.pathRegex === "") return { index, catchAll: true }
      let re = this.regexCache.get(index)
      if (re === undefined) {
        try {
          re = compileGoRegex(rule.pathRegex)
        } catch {
          re = null
        }
        this.regexCache.set(index, re)
      }
      if (re?.test(subject)) return { index, catchAll: false }
    }
    return null
  }

  /** The keys `.sops.yaml` requires for `rel` now, or null when no rule applies or it is invalid. */
  requiredKeysFor(rel: string): CreationRule | null {
    if (this.config === null) return null
    try {
      return this.config.creationRuleFor(resolve(this.root, rel))
    } catch (err) {
      if (isSopsError(err)) return null
      throw err
    }
  }

  /** The first age recipient of any creation rule, for fix commands of unmatched files. */
  anyAgeRecipient(): string | undefined {
    for (const r of this.config?.data.creationRules ?? []) {
      for (const a of r.age) {
        const first = a.split(",")[0]?.trim()
        if (first) return first
      }
      for (const g of r.keyGroups) {
        const first = g.age[0]?.split(",")[0]?.trim()
        if (first) return first
      }
    }
    return undefined
  }

  /** First pass: records `secretGenerator` inputs of a kustomization file. */
  noteKustomization(rel: string, bytes: Uint8Array): void {
    let doc: unknown
    try {
      const b = storeFor("yaml").loadPlain(bytes)[0]
      doc = b === undefined ? null : treeToObject(b)
    } catch {
      return
    }
    const gens = (doc as { secretGenerator?: unknown } | null)?.secretGenerator
    if (!Array.isArray(gens)) return
    const dir = posix.dirname(rel)
    const add = (p: unknown): void => {
      if (typeof p !== "string" || p === "") return
      // `files` entries may be `key=path`.
      const file = p.includes("=") ? p.slice(p.indexOf("=") + 1) : p
      this.generatorInputs.add(posix.normalize(posix.join(dir, file)))
    }
    for (const g of gens) {
      if (g === null || typeof g !== "object") continue
      const { files, envs, env } = g as { files?: unknown; envs?: unknown; env?: unknown }
      if (Array.isArray(files)) files.forEach(add)
      if (Array.isArray(envs)) envs.forEach(add)
      add(env)
    }
  }

  /** First pass: records the keys of an OpenPGP public key file. */
  notePgpKeyFile(bytes: Uint8Array): void {
    for (const k of pgpKeysOf(bytes)) this.pgpKeys.set(k.fingerprint, k)
  }
}

/** Whether a relative path is a kustomize kustomization file. */
export function isKustomization(rel: string): boolean {
  const base = posix.basename(rel)
  return base === "kustomization.yaml" || base === "kustomization.yml" || base === "Kustomization"
}
