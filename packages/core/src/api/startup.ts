/**
 * The startup helpers for apps: one call to get secrets into `process.env` or a typed object.
 * @module
 */
import { SopsError } from "../errors.js"
import { Comment, NonStringKey, TreeBranch } from "../tree.js"
import { valToString } from "../stores/val-to-string.js"
import { formatForPath } from "../stores/index.js"
import { readFileBytes } from "../fs.js"
import { openEncrypted } from "./decrypt.js"
import { stringValueText, treeToObject, type ToObjectOptions } from "./object.js"
import type { ReadOptions } from "./options.js"

/** Options of {@link loadSecretsIntoEnv}. */
export interface LoadEnvOptions extends ReadOptions {
  /** Where to put the variables (default `process.env`). */
  readonly target?: Record<string, string | undefined>
  /** Replace variables that are already set (default false: the environment wins). */
  readonly override?: boolean
}

/**
 * Decrypts a file and puts its top-level values into `process.env` (as `sops exec-env`
 * does: comments skipped, nested values refused, non-strings printed as sops prints them).
 * @returns the decrypted variables
 * @throws SopsError `ERR_UNSUPPORTED_VALUE` for a nested value or a key containing `=`
 */
export async function loadSecretsIntoEnv(path: string, options: LoadEnvOptions = {}): Promise<Record<string, string>> {
  const bytes = await readFileBytes(path)
  const opened = await openEncrypted(bytes, { ...options, format: options.format ?? formatForPath(path), fileName: path })
  opened.dataKey.fill(0)
  const vars: Record<string, string> = {}
  for (const item of (opened.branches[0] ?? new TreeBranch()).items) {
    if (item.key instanceof Comment) continue
    const key = item.key instanceof NonStringKey ? String(item.key.value) : item.key
    if (item.value instanceof TreeBranch || Array.isArray(item.value)) {
      throw new SopsError("ERR_UNSUPPORTED_VALUE", `cannot use complex value as an environment variable: ${key}`)
    }
    if (key.includes("=")) throw new SopsError("ERR_UNSUPPORTED_VALUE", `cannot use a key containing "=" as an environment variable: ${key}`)
    vars[key] = stringValueText(valToString(item.value))
  }
  const target = options.target ?? process.env
  for (const [k, v] of Object.entries(vars)) {
    if (options.override || target[k] === undefined) target[k] = v
  }
  return vars
}

/** Options of {@link loadSecrets}. */
export interface LoadSecretsOptions<T> extends ReadOptions, ToObjectOptions {
  /** Checks and types the decrypted object (e.g. a zod schema's `parse`). */
  readonly validate?: (value: unknown) => T
}

/**
 * Decrypts a file into a typed object in one call.
 * @example
 * ```ts
 * const cfg = await loadSecrets<{ db: { password: string } }>("config.enc.yaml", { keyServices })
 * ```
 */
export async function loadSecrets<T = Record<string, unknown>>(path: string, options: LoadSecretsOptions<T> = {}): Promise<T> {
  const bytes = await readFileBytes(path)
  const opened = await openEncrypted(bytes, { ...options, format: options.format ?? formatForPath(path), fileName: path })
  opened.dataKey.fill(0)
  const obj = treeToObject(opened.branches[0] ?? new TreeBranch(), options)
  return options.validate ? options.validate(obj) : (obj as T)
}
