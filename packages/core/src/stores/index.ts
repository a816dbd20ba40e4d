/**
 * Store selection: by format name, and sops' rules for picking a format from a path.
 * @module
 */
import { SopsError } from "../errors.js"
import { createBinaryStore } from "./binary.js"
import { createDotenvStore } from "./dotenv.js"
import { createIniStore } from "./ini/index.js"
import { createJsonStore } from "./json/index.js"
import { FORMATS, type Format, type Store, type StoreOptions } from "./store.js"
import { createYamlStore } from "./yaml/index.js"

/** Returns the store for a format. */
export function storeFor(format: Format, options: StoreOptions = {}): Store {
  switch (format) {
    case "yaml":
      return createYamlStore(options)
    case "json":
      return createJsonStore(options)
    case "binary":
      return createBinaryStore(options)
    case "dotenv":
      return createDotenvStore()
    case "ini":
      return createIniStore()
    default:
      throw new SopsError("ERR_INVALID_ARGUMENT", `unknown format "${String(format)}"; use one of ${FORMATS.join(", ")}`)
  }
}

/**
 * sops' `FormatForPath`: `.yaml`/`.yml` → yaml, `.json` → json, `.env` → dotenv, `.ini` → ini,
 * anything else → binary (case-sensitive suffix match).
 */
export function formatForPath(path: string): Format {
  if (path.endsWith(".yaml") || path.endsWith(".yml")) return "yaml"
  if (path.endsWith(".json")) return "json"
  if (path.endsWith(".env")) return "dotenv"
  if (path.endsWith(".ini")) return "ini"
  return "binary"
}

/**
 * sops' `FormatForPathOrString`: an explicit format name wins when it is one of the five;
 * anything else (including an unknown name) falls back to the path rule.
 */
export function formatForPathOrString(path: string, explicit: string | undefined): Format {
  if (explicit !== undefined && (FORMATS as readonly string[]).includes(explicit)) return explicit as Format
  return formatForPath(path)
}

/** Whether a string names a format. */
export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s)
}
