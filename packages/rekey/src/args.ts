/**
 * The command line of `sops-ts rekey`, parsed into {@link RekeyOptions} pieces. Key flags use
 * the same key strings as sops (`--add-age age1...,age1...`, `--rm-pgp FPR`, ...).
 * @module
 */
import {
  SopsError,
  parseAgeRecipients,
  parseAzureKvUrls,
  parseGcpKmsIds,
  parseHckmsIds,
  parseKmsArns,
  parsePgpFingerprints,
  parseVaultUris,
  KEY_TYPES_LOAD_ORDER,
  type KeyType,
  type MasterKey,
} from "@sops-ts/core"
import { REKEY_OPERATIONS, type RekeyOperation } from "./types.js"

/** The key-type suffixes of `--add-*`, `--rm-*` and `--to-*`, and their parsers. */
const KEY_FLAGS: Readonly<Record<string, (list: string) => MasterKey[]>> = {
  age: (s) => parseAgeRecipients(s),
  pgp: (s) => parsePgpFingerprints(s),
  kms: (s) => parseKmsArns(s),
  "gcp-kms": (s) => parseGcpKmsIds(s),
  "azure-kv": (s) => parseAzureKvUrls(s),
  "hc-vault-transit": (s) => parseVaultUris(s),
  hckms: (s) => parseHckmsIds(s),
}

/** Names accepted by `--from`, besides the metadata type names (`gcp_kms`...). */
const TYPE_ALIASES: Readonly<Record<string, KeyType>> = {
  "gcp-kms": "gcp_kms",
  "azure-kv": "azure_kv",
  "hc-vault": "hc_vault",
  "hc-vault-transit": "hc_vault",
  vault: "hc_vault",
  gpg: "pgp",
}

/** Parsed arguments. */
export interface RekeyArgs {
  operation: RekeyOperation
  paths: string[]
  addKeys: MasterKey[]
  removeKeys: MasterKey[]
  from: KeyType[]
  to: MasterKey[]
  rotate: boolean
  concurrency: number | undefined
  providerLimits: Record<string, number>
  dryRun: boolean
  report: string | undefined
  journal: string | undefined
  yes: boolean
  config: string | undefined
  useGit: boolean
  verify: boolean
  verbose: boolean
  help: boolean
}

/** The help text. */
export const REKEY_USAGE = `Usage: sops-ts rekey [options] <path|dir|glob>...

Re-key every sops file under the given paths (directories honour .gitignore; files
that are not sops files are skipped).

Operations (--operation, default updatekeys):
  updatekeys   make each file's master keys those of its .sops.yaml creation rule
  rotate       new data key, all values re-encrypted (--add-*/--rm-* also apply)
  add          add keys (--add-age, --add-pgp, --add-kms, ...) to files lacking them
  remove       remove keys (--rm-age, --rm-pgp, ...) from files that have them
  migrate      replace keys of --from types by --to-* keys, e.g. --from pgp --to-age age1...

Options:
  --add-<type> KEYS, --rm-<type> KEYS, --to-<type> KEYS
                     <type>: age, pgp, kms, gcp-kms, azure-kv, hc-vault-transit, hckms
  --from TYPES       key types to migrate away from (pgp, kms, gcp_kms, ...)
  --rotate           also replace the data key (recommended when removing a compromised key)
  --concurrency N    files in flight (default 64)
  --provider-limit TYPE=N   simultaneous key-service calls for one key type
  --dry-run          print what would change; write nothing, call no key service
  --report FILE      write a JSON report
  --journal FILE     resume journal: a rerun skips files already done
  --config FILE      the .sops.yaml to use (default: found from the working directory)
  --no-git           list directories without git (still honours .gitignore)
  --no-verify        do not check each file's MAC before rewriting it
  -v, --verbose      also list unchanged and skipped files
  -y, --yes          do not ask for confirmation
`

function usage(message: string): SopsError {
  return new SopsError("ERR_INVALID_ARGUMENT", message)
}

function parseType(s: string): KeyType {
  const t = (TYPE_ALIASES[s] ?? s) as KeyType
  if (!KEY_TYPES_LOAD_ORDER.includes(t)) throw usage(`unknown key type ${JSON.stringify(s)} in --from`)
  return t
}

function positiveInt(flag: string, s: string): number {
  const n = Number(s)
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < 1) throw usage(`${flag} needs a positive integer, not ${JSON.stringify(s)}`)
  return n
}

/**
 * Parses `argv` (without the `rekey` word).
 * @throws SopsError `ERR_INVALID_ARGUMENT` with a message for the user
 */
export function parseRekeyArgs(argv: readonly string[]): RekeyArgs {
  const a: RekeyArgs = {
    operation: "updatekeys",
    paths: [],
    addKeys: [],
    removeKeys: [],
    from: [],
    to: [],
    rotate: false,
    concurrency: undefined,
    providerLimits: {},
    dryRun: false,
    report: undefined,
    journal: undefined,
    yes: false,
    config: undefined,
    useGit: true,
    verify: true,
    verbose: false,
    help: false,
  }
  let i = 0
  const value = (flag: string, inline: string | undefined): string => {
    if (inline !== undefined) return inline
    const v = argv[++i]
    if (v === undefined) throw usage(`${flag} needs a value`)
    return v
  }
  for (; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") {
      a.paths.push(...argv.slice(i + 1))
      break
    }
    if (!arg.startsWith("-") || arg === "-") {
      a.paths.push(arg)
      continue
    }
    const eq = arg.indexOf("=")
    const flag = arg.startsWith("--") && eq !== -1 ? arg.slice(0, eq) : arg
    const inline = arg.startsWith("--") && eq !== -1 ? arg.slice(eq + 1) : undefined
    const keyFlag = /^--(add|rm|to)-(.+)$/.exec(flag)
    if (keyFlag && KEY_FLAGS[keyFlag[2]!]) {
      const keys = KEY_FLAGS[keyFlag[2]!]!(value(flag, inline))
      if (keyFlag[1] === "add") a.addKeys.push(...keys)
      else if (keyFlag[1] === "rm") a.removeKeys.push(...keys)
      else a.to.push(...keys)
      continue
    }
    switch (flag) {
      case "--operation":
      case "--op": {
        const op = value(flag, inline)
        if (!(REKEY_OPERATIONS as readonly string[]).includes(op)) {
          throw usage(`unknown operation ${JSON.stringify(op)}; use one of ${REKEY_OPERATIONS.join(", ")}`)
        }
        a.operation = op as RekeyOperation
        break
      }
      case "--from":
        a.from.push(
          ...value(flag, inline)
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "")
            .map(parseType),
        )
        break
      case "--rotate":
        a.rotate = true
        break
      case "--concurrency":
      case "-j":
        a.concurrency = positiveInt(flag, value(flag, inline))
        break
      case "--provider-limit": {
        const v = value(flag, inline)
        const m = /^([\w-]+)=(\d+)$/.exec(v)
        if (!m) throw usage(`--provider-limit needs TYPE=N (e.g. kms=16), not ${JSON.stringify(v)}`)
        a.providerLimits[parseType(m[1]!)] = positiveInt(flag, m[2]!)
        break
      }
      case "--dry-run":
      case "-n":
        a.dryRun = true
        break
      case "--report":
        a.report = value(flag, inline)
        break
      case "--journal":
        a.journal = value(flag, inline)
        break
      case "--config":
        a.config = value(flag, inline)
        break
      case "--no-git":
        a.useGit = false
        break
      case "--no-verify":
        a.verify = false
        break
      case "-v":
      case "--verbose":
        a.verbose = true
        break
      case "-y":
      case "--yes":
        a.yes = true
        break
      case "-h":
      case "--help":
        a.help = true
        break
      default:
        throw usage(`unknown flag ${flag}`)
    }
  }
  if (a.help) return a
  if (a.paths.length === 0) throw usage("no path given: name files, directories or globs to re-key")
  if (a.operation === "add" && a.addKeys.length === 0) throw usage("--operation add needs at least one --add-<type> key")
  if (a.operation === "remove" && a.removeKeys.length === 0) throw usage("--operation remove needs at least one --rm-<type> key")
  if (a.operation === "migrate" && (a.from.length === 0 || a.to.length === 0)) {
    throw usage("--operation migrate needs --from TYPES and at least one --to-<type> key")
  }
  if (a.operation !== "migrate" && (a.from.length > 0 || a.to.length > 0)) throw usage("--from and --to-* only apply to --operation migrate")
  if (a.operation === "updatekeys" && (a.addKeys.length > 0 || a.removeKeys.length > 0)) {
    throw usage("updatekeys takes its keys from .sops.yaml; use --operation add/remove for --add-*/--rm-*")
  }
  return a
}
