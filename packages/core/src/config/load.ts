/**
 * Finding and reading `.sops.yaml` (sops' `LookupConfigFile`, `loadConfigFile`).
 * @module
 */
import { readFile, stat } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { SopsError } from "../errors.js"
import { decodeConfig } from "./decode.js"
import { SopsConfig } from "./sops-config.js"

/** The only file name sops reads. */
export const CONFIG_FILE_NAME = ".sops.yaml"
/** A name users often try; sops only warns about it. */
const ALTERNATE_CONFIG_NAME = ".sops.yml"
/** How many directories sops looks at, starting with the first. */
const MAX_DEPTH = 100

/** Result of {@link lookupConfigFile}. */
export interface ConfigLookup {
  /** Absolute path of the config file, or null when none was found. */
  readonly path: string | null
  /** Set when a `.sops.yml` was seen on the way (sops ignores it and says so). */
  readonly warning?: string
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}

/**
 * Searches `startDir`, then its parents (up to 100 directories), for `.sops.yaml`. The CLI
 * starts at the current working directory, not at the directory of the file processed.
 * @param startDir - the directory to start in
 */
export async function lookupConfigFile(startDir: string): Promise<ConfigLookup> {
  let dir = resolve(startDir)
  let alternate: string | null = null
  for (let i = 0; i < MAX_DEPTH; i++) {
    const candidate = join(dir, CONFIG_FILE_NAME)
    if (await exists(candidate)) {
      if (alternate === null) return { path: candidate }
      return {
        path: candidate,
        warning: `ignoring ${JSON.stringify(alternate)} when searching for config file; the config file must be called ${JSON.stringify(CONFIG_FILE_NAME)}; using ${JSON.stringify(candidate)} instead`,
      }
    }
    if (alternate === null) {
      const alt = join(dir, ALTERNATE_CONFIG_NAME)
      if (await exists(alt)) alternate = alt
    }
    const parent = dirname(dir)
    // Above the root sops keeps looking at the root; nothing new can turn up there.
    if (parent === dir) break
    dir = parent
  }
  if (alternate === null) return { path: null }
  return {
    path: null,
    warning: `ignoring ${JSON.stringify(alternate)} when searching for config file; the config file must be called ${JSON.stringify(CONFIG_FILE_NAME)}`,
  }
}

/**
 * Searches `startDir` and its parents for `.sops.yaml` (see {@link lookupConfigFile}).
 * @returns the absolute path, or null when there is none (not an error: the config is optional)
 */
export async function findConfigFile(startDir: string): Promise<string | null> {
  return (await lookupConfigFile(startDir)).path
}

/**
 * Reads and parses a `.sops.yaml`.
 * @param path - the config file
 * @throws SopsError `ERR_CONFIG` when it cannot be read or parsed
 */
export async function loadConfig(path: string): Promise<SopsConfig> {
  const abs = resolve(path)
  let bytes: Uint8Array
  try {
    bytes = await readFile(abs)
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err)
    throw new SopsError("ERR_CONFIG", `could not read config file: ${reason}`, { cause: err, details: { path: abs } })
  }
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch (err) {
    throw new SopsError("ERR_CONFIG", `error loading config: ${abs} is not valid UTF-8`, { cause: err, details: { path: abs } })
  }
  return new SopsConfig(decodeConfig(text), dirname(abs), abs)
}
