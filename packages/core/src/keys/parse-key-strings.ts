/**
 * Master keys from the strings users write: `--age`, `--kms`, ... flags, their `SOPS_*`
 * environment variables, and the key lists of `.sops.yaml`.
 *
 * Every list parser takes a comma-separated string, or an array whose items are joined with
 * `,` first (that is what sops does with YAML lists before splitting them again). The per-type
 * clean-up follows sops:
 *
 * | type | item clean-up | empty item |
 * |---|---|---|
 * | age | surrounding whitespace trimmed | error (not a recipient) |
 * | pgp | every space removed | error |
 * | kms | every space removed | error (not an ARN) |
 * | gcp_kms | every space removed | error |
 * | azure_kv | surrounding whitespace trimmed | error (not a URL) |
 * | hc_vault | none | skipped |
 * | hckms | surrounding whitespace trimmed | skipped |
 *
 * sops itself keeps empty PGP/KMS/GCP items as keys with an empty id that fail at encryption
 * time; rejecting them while parsing gives the same outcome with a clearer message.
 *
 * Errors are {@link SopsError} `ERR_INVALID_ARGUMENT`; messages quote the offending key id
 * (public identifiers, never secrets).
 * @module
 */
import { SopsError } from "../errors.js"
import type {
  AgeMasterKey,
  AzureKvMasterKey,
  GcpKmsMasterKey,
  HcVaultMasterKey,
  HckmsMasterKey,
  KmsMasterKey,
  PgpMasterKey,
} from "../metadata/model.js"
import { ageRecipientProblem } from "./age-recipient-syntax.js"

/** Options shared by the parsers of key types that record a creation time. */
export interface KeyClockOptions {
  /** Clock for `createdAt` (default: the system clock). */
  readonly now?: () => Date
}

/** Options of {@link parseKmsArns}. */
export interface KmsParseOptions extends KeyClockOptions {
  /** Encryption context applied to every key (from `--encryption-context`). */
  readonly context?: Readonly<Record<string, string>>
  /** Shared-config profile applied to every key (`--aws-profile` or the rule's `aws_profile`). */
  readonly awsProfile?: string
}

/** Input of the list parsers: a comma-separated string or a list of such strings. */
export type KeyListInput = string | readonly string[]

/** The regex sops validates KMS ARNs with; capture 1 is the region. */
export const KMS_ARN_PATTERN = "^arn:aws[\\w-]*:kms:(.+):[0-9]+:(key|alias)/.+$"

/**
 * Formats a key creation time as sops writes `created_at`: RFC 3339, UTC, whole seconds.
 * @param date - the instant
 * @returns e.g. `2024-05-01T12:00:00Z`
 */
export function formatCreatedAt(date: Date): string {
  const t = date.getTime()
  if (!Number.isFinite(t)) throw new SopsError("ERR_INVALID_ARGUMENT", "the clock returned an invalid date")
  // Truncate (not round) the milliseconds, as Go's RFC 3339 formatting drops fractions.
  return date.toISOString().replace(/\.\d{3}Z$/, "Z")
}

function createdAt(opts: KeyClockOptions | undefined): string {
  return formatCreatedAt(opts?.now?.() ?? new Date())
}

function invalid(message: string): SopsError {
  return new SopsError("ERR_INVALID_ARGUMENT", message)
}

/** Splits the list input like sops: arrays are joined with "," first; "" means no keys. */
function splitList(input: KeyListInput): string[] {
  const s = typeof input === "string" ? input : input.join(",")
  return s === "" ? [] : s.split(",")
}

// Go's strings.TrimSpace: Unicode White_Space (which, unlike String#trim, excludes U+FEFF).
const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
const GO_TRIM = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, "g")

/** Removes leading and trailing white space the way Go's `strings.TrimSpace` does. */
export function goTrimSpace(s: string): string {
  return s.replace(GO_TRIM, "")
}

function removeSpaces(s: string): string {
  return s.replaceAll(" ", "")
}

// ---------------------------------------------------------------------------------------------
// age

/**
 * One age master key. The recipient is trimmed and its syntax checked (X25519 `age1…`,
 * post-quantum `age1pq1…`, plugin `age1<name>1…`, `ssh-ed25519`/`ssh-rsa`).
 * @throws SopsError `ERR_INVALID_ARGUMENT` when the recipient is not one of those forms
 */
export function newAgeKey(recipient: string): AgeMasterKey {
  const r = goTrimSpace(recipient)
  const problem = ageRecipientProblem(r)
  if (problem !== null) throw invalid(`invalid age recipient ${JSON.stringify(r)}: ${problem}`)
  return { type: "age", recipient: r, enc: "" }
}

/**
 * age master keys from a comma-separated recipient list (`--age`, `SOPS_AGE_RECIPIENTS`).
 * @example
 * ```ts
 * parseAgeRecipients("age1abc…, age1def…") // two keys, recipients trimmed
 * ```
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an item that is not a recipient (including an
 *   empty item, as in sops)
 */
export function parseAgeRecipients(input: KeyListInput): AgeMasterKey[] {
  return splitList(input).map(newAgeKey)
}

// ---------------------------------------------------------------------------------------------
// PGP

/**
 * One PGP master key; spaces are removed from the fingerprint, case is kept.
 * @throws SopsError `ERR_INVALID_ARGUMENT` when nothing is left
 */
export function newPgpKey(fingerprint: string, opts?: KeyClockOptions): PgpMasterKey {
  const fp = removeSpaces(fingerprint)
  if (fp === "") throw invalid("empty PGP fingerprint in key list")
  return { type: "pgp", fp, enc: "", createdAt: createdAt(opts) }
}

/**
 * PGP master keys from a comma-separated fingerprint list (`--pgp`, `SOPS_PGP_FP`).
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an empty item
 */
export function parsePgpFingerprints(input: KeyListInput, opts?: KeyClockOptions): PgpMasterKey[] {
  return splitList(input).map((s) => newPgpKey(s, opts))
}

// ---------------------------------------------------------------------------------------------
// AWS KMS

/** The fields of a KMS key as `.sops.yaml` key groups spell them. */
export interface KmsKeySpec {
  readonly arn: string
  readonly role?: string
  readonly context?: Readonly<Record<string, string>>
  readonly awsProfile?: string
}

/**
 * {@link KMS_ARN_PATTERN} as a native RegExp, so that checking the KMS keys of a `.sops.yaml`
 * does not load the RE2 engine (about 6 ms). Go's `.` is every character but "\n", while
 * JavaScript's also stops at "\r", U+2028 and U+2029, hence `[^\n]`; `\w` is ASCII in both,
 * `$` without flags is the end of the input in both, and greedy capture groups pick the same
 * span, so capture 1 is the region sops takes.
 */
const KMS_ARN = /^arn:aws[\w-]*:kms:([^\n]+):[0-9]+:(?:key|alias)\/[^\n]+$/

/**
 * The region of a KMS key or alias ARN (capture 1 of sops' ARN pattern), or null when `arn`
 * is not one. The region is taken verbatim, exactly as sops passes it to the SDK.
 * @example
 * ```ts
 * kmsArnRegion("arn:aws:kms:eu-west-1:111122223333:key/1234") // "eu-west-1"
 * ```
 */
export function kmsArnRegion(arn: string): string | null {
  const m = KMS_ARN.exec(arn)
  return m === null ? null : m[1]!
}

function checkArn(arn: string): void {
  if (kmsArnRegion(arn) === null) {
    throw invalid(`invalid AWS KMS key ARN ${JSON.stringify(arn)}: expected arn:aws:kms:<region>:<account>:key/<id> or alias/<name>`)
  }
}

/**
 * One KMS master key from explicit fields (a `.sops.yaml` key-group entry). Nothing is
 * trimmed; the ARN is validated.
 * @throws SopsError `ERR_INVALID_ARGUMENT` when `arn` is not a KMS key or alias ARN
 */
export function newKmsKey(spec: KmsKeySpec, opts?: KeyClockOptions): KmsMasterKey {
  checkArn(spec.arn)
  return {
    type: "kms",
    arn: spec.arn,
    role: spec.role ?? "",
    context: { ...spec.context },
    awsProfile: spec.awsProfile ?? "",
    enc: "",
    createdAt: createdAt(opts),
  }
}

/**
 * KMS master keys from a comma-separated ARN list (`--kms`, `SOPS_KMS_ARN`). Spaces are
 * removed; `ARN+arn:aws:iam::…:role/Name` sets the role to assume (split at the first
 * `+arn:`). The context and profile apply to every key.
 * @throws SopsError `ERR_INVALID_ARGUMENT` when an item is not a KMS ARN
 */
export function parseKmsArns(input: KeyListInput, opts?: KmsParseOptions): KmsMasterKey[] {
  return splitList(input).map((item) => {
    const s = removeSpaces(item)
    // An ARN never contains ':' in its resource part, so "+arn:" can only start a role ARN.
    const at = s.indexOf("+arn:")
    const arn = at > 0 ? s.slice(0, at) : s
    const role = at > 0 ? s.slice(at + 1) : ""
    return newKmsKey(
      {
        arn,
        role,
        ...(opts?.context === undefined ? {} : { context: opts.context }),
        ...(opts?.awsProfile === undefined ? {} : { awsProfile: opts.awsProfile }),
      },
      opts,
    )
  })
}

/**
 * Parses `--encryption-context "k1:v1,k2:v2"`. Every pair must contain exactly one `:`;
 * nothing is trimmed; a repeated key keeps its last value. `""` is the empty context.
 * @throws SopsError `ERR_INVALID_ARGUMENT` "Invalid KMS encryption context format"
 */
export function parseKmsEncryptionContext(input: string): Record<string, string> {
  const pairs = new Map<string, string>()
  if (input === "") return {}
  for (const kv of input.split(",")) {
    const parts = kv.split(":")
    if (parts.length !== 2) throw invalid("Invalid KMS encryption context format")
    pairs.set(parts[0]!, parts[1]!)
  }
  // fromEntries defines own properties, so a "__proto__" key stays an ordinary entry.
  return Object.fromEntries(pairs)
}

// ---------------------------------------------------------------------------------------------
// GCP KMS

/**
 * One GCP KMS master key; spaces are removed from the resource id. The id's shape
 * (`projects/…/cryptoKeys/…`) is checked by the provider, as in sops.
 * @throws SopsError `ERR_INVALID_ARGUMENT` when nothing is left
 */
export function newGcpKmsKey(resourceId: string, opts?: KeyClockOptions): GcpKmsMasterKey {
  const id = removeSpaces(resourceId)
  if (id === "") throw invalid("empty GCP KMS resource id in key list")
  return { type: "gcp_kms", resourceId: id, enc: "", createdAt: createdAt(opts) }
}

/**
 * GCP KMS master keys from a comma-separated resource-id list (`--gcp-kms`,
 * `SOPS_GCP_KMS_IDS`).
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an empty item
 */
export function parseGcpKmsIds(input: KeyListInput, opts?: KeyClockOptions): GcpKmsMasterKey[] {
  return splitList(input).map((s) => newGcpKmsKey(s, opts))
}

// ---------------------------------------------------------------------------------------------
// Azure Key Vault

const AZURE_KEY_URL = /^(https:\/\/[^/]+)\/keys\/([^/]+)(\/[^/]*)?$/

/**
 * One Azure Key Vault master key from explicit fields (a `.sops.yaml` key-group entry:
 * `vaultUrl`, `key`, `version`). Not validated, as in sops.
 *
 * An empty `version` means "the latest version": sops resolves it with a network call when
 * the key list is read; here it stays `""` and the Azure provider resolves it before wrapping.
 */
export function newAzureKvKey(vaultUrl: string, name: string, version: string, opts?: KeyClockOptions): AzureKvMasterKey {
  return { type: "azure_kv", vaultUrl, name, version, enc: "", createdAt: createdAt(opts) }
}

/**
 * Azure Key Vault master keys from a comma-separated list of key URLs
 * `https://<vault>/keys/<name>[/<version>]` (`--azure-kv`, `SOPS_AZURE_KEYVAULT_URLS`).
 * Items are trimmed. A missing version is kept as `""` (see {@link newAzureKvKey}).
 * @throws SopsError `ERR_INVALID_ARGUMENT` when an item is not such a URL
 */
export function parseAzureKvUrls(input: KeyListInput, opts?: KeyClockOptions): AzureKvMasterKey[] {
  return splitList(input).map((item) => {
    const url = goTrimSpace(item)
    const m = AZURE_KEY_URL.exec(url)
    if (m === null) {
      throw invalid(
        `could not parse ${JSON.stringify(url)} into an Azure Key Vault key URL (https://<vault>/keys/<name>[/<version>])`,
      )
    }
    const version = m[3] !== undefined && m[3].length > 1 ? m[3].slice(1) : ""
    return newAzureKvKey(m[1]!, m[2]!, version, opts)
  })
}

// ---------------------------------------------------------------------------------------------
// HashiCorp Vault transit

const URI_WITH_AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)([?#].*)?$/s
const PREFIXED_VAULT_PATH = /\/[^/]+\/v\d+\/[^/]+\/[^/]+\/[^/]+/
const VAULT_PATH = /\/v\d+\/[^/]+\/[^/]+\/[^/]+/

/** Go's `path.Join` for relative segments: empty segments dropped, `.`/`..` resolved. */
function joinPath(segments: readonly string[]): string {
  if (segments.every((s) => s === "")) return ""
  const out: string[] = []
  for (const seg of segments.join("/").split("/")) {
    if (seg === "" || seg === ".") continue
    if (seg === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop()
    else out.push(seg)
  }
  return out.length === 0 ? "." : out.join("/")
}

/**
 * One Vault transit master key from its full URI
 * `https://vault.example.org:8200/v1/<engine path…>/keys/<name>`: the address is
 * scheme://host[:port], the key name the last path segment, the engine path the segments
 * between `v1` and the second-to-last. URIs with a path prefix before `/v1` are rejected, as
 * in sops. Query strings and fragments are rejected too (sops would fold them into the
 * address or key name).
 * @throws SopsError `ERR_INVALID_ARGUMENT` when the URI does not have that shape
 */
export function newVaultKeyFromUri(uri: string, opts?: KeyClockOptions): HcVaultMasterKey {
  const example = "https://vault.example.com:8200/v1/transit/keys/keyName"
  const m = URI_WITH_AUTHORITY.exec(uri)
  if (m === null) throw invalid(`missing scheme in Vault URL ${JSON.stringify(uri)} (should be like ${example})`)
  const [, scheme, host, rawPath, rest] = m
  if (rest !== undefined) throw invalid(`Vault URL ${JSON.stringify(uri)} must not have a query or fragment`)
  if (host === "") throw invalid(`Vault URL ${JSON.stringify(uri)} has no host`)
  const path = rawPath === "" ? "/" : rawPath!
  if (PREFIXED_VAULT_PATH.test(path)) {
    throw invalid(`running Vault with a prefixed URL is not supported: ${JSON.stringify(uri)} (format has to be like ${example})`)
  }
  if (!VAULT_PATH.test(path)) {
    throw invalid(`Vault path of ${JSON.stringify(uri)} is not formatted correctly (should be like ${example})`)
  }
  const dirs = path.replace(/^\/+|\/+$/g, "").split("/")
  return {
    type: "hc_vault",
    vaultAddress: `${scheme!.toLowerCase()}://${host}`,
    enginePath: joinPath(dirs.slice(1, -2)),
    keyName: dirs[dirs.length - 1]!,
    enc: "",
    createdAt: createdAt(opts),
  }
}

/**
 * Vault transit master keys from a comma-separated URI list (`--hc-vault-transit`,
 * `SOPS_VAULT_URIS`). Empty items are skipped; items are not trimmed (as in sops).
 * @throws SopsError `ERR_INVALID_ARGUMENT` when an item is not a Vault key URI
 */
export function parseVaultUris(input: KeyListInput, opts?: KeyClockOptions): HcVaultMasterKey[] {
  return splitList(input)
    .filter((s) => s !== "")
    .map((s) => newVaultKeyFromUri(s, opts))
}

// ---------------------------------------------------------------------------------------------
// Huawei Cloud KMS

/**
 * One Huawei Cloud KMS master key from `region:key-uuid`. The id is stored as given; region
 * and uuid (split at the first `:` and trimmed) must both be non-empty.
 * @throws SopsError `ERR_INVALID_ARGUMENT` for another shape
 */
export function newHckmsKey(keyId: string, opts?: KeyClockOptions): HckmsMasterKey {
  const trimmed = goTrimSpace(keyId)
  const at = trimmed.indexOf(":")
  if (at < 0) throw invalid(`invalid Huawei Cloud KMS key id ${JSON.stringify(trimmed)}: expected 'region:key-uuid'`)
  if (goTrimSpace(trimmed.slice(0, at)) === "") {
    throw invalid(`region cannot be empty in Huawei Cloud KMS key id ${JSON.stringify(trimmed)}`)
  }
  if (goTrimSpace(trimmed.slice(at + 1)) === "") {
    throw invalid(`key UUID cannot be empty in Huawei Cloud KMS key id ${JSON.stringify(trimmed)}`)
  }
  return { type: "hckms", keyId, enc: "", createdAt: createdAt(opts) }
}

/**
 * Huawei Cloud KMS master keys from a comma-separated `region:uuid` list (`--hckms`,
 * `SOPS_HUAWEICLOUD_KMS_IDS`). Items are trimmed; empty items are skipped.
 * @throws SopsError `ERR_INVALID_ARGUMENT` for an item that is not `region:uuid`
 */
export function parseHckmsIds(input: KeyListInput, opts?: KeyClockOptions): HckmsMasterKey[] {
  return splitList(input)
    .map(goTrimSpace)
    .filter((s) => s !== "")
    .map((s) => newHckmsKey(s, opts))
}
