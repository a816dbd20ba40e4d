/**
 * `.sops.yaml` text → {@link ConfigFileData}, with sops' (go-yaml's) typing rules: unknown
 * keys are ignored, type mismatches are errors. Only the first YAML document is read, as
 * `yaml.Unmarshal` does.
 * @module
 */
import { yaml } from "../lazy-deps.js"
import { SopsError } from "../errors.js"
import type {
  AzureKeyVaultKeyConfig,
  ConfigFileData,
  CreationRuleConfig,
  DestinationRuleConfig,
  KeyGroupConfig,
  KmsKeyConfig,
  StoresConfig,
} from "./types.js"
import { YamlReader, type Fields } from "./yaml-decode.js"

/**
 * Decodes the text of a `.sops.yaml` file.
 * @throws SopsError `ERR_CONFIG` for invalid YAML or a field of the wrong type
 */
export function decodeConfig(text: string): ConfigFileData {
  const { LineCounter, parseAllDocuments } = yaml()
  const lines = new LineCounter()
  // uniqueKeys off: the yaml package's check is quadratic; YamlReader detects repeats itself.
  // prettyErrors off: the pretty form appends the offending source lines, which could hold
  // a secret (an encryption context value, a Vault URI); the message gives line and column.
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false })
  const doc = Array.isArray(docs) ? docs[0] : undefined
  if (doc === undefined) return { creationRules: null, destinationRules: null, stores: defaultStores() }
  const first = doc.errors[0]
  if (first !== undefined) {
    const { line, col } = lines.linePos(first.pos[0])
    // No `cause`: the parser's error object carries the source excerpt too.
    throw new SopsError(
      "ERR_CONFIG",
      // Text after ": " is a quoted token in some of the parser's messages: dropped.
      `error loading config: Could not unmarshal config file: ${first.message.split(": ")[0]} at line ${line}, column ${col}`,
      { details: { line, column: col, yamlCode: first.code } },
    )
  }
  const r = new YamlReader(doc, lines)
  const root = r.struct(doc.contents, "config")
  const creation = r.optionalList(root.get("creation_rules"), "creation_rules")
  const destination = r.optionalList(root.get("destination_rules"), "destination_rules")
  return {
    creationRules: creation === null ? null : creation.map((n, i) => creationRule(r, r.struct(n, `creation_rules[${i}]`), `creation_rules[${i}]`)),
    destinationRules:
      destination === null ? null : destination.map((n, i) => destinationRule(r, r.struct(n, `destination_rules[${i}]`), `destination_rules[${i}]`)),
    stores: stores(r, root.get("stores"), "stores"),
  }
}

/** The stores section sops starts from before reading the file (JSON indents default to tab). */
export function defaultStores(): StoresConfig {
  return { yaml: { indent: 0 }, json: { indent: -1 }, jsonBinary: { indent: -1 } }
}

function stores(r: YamlReader, node: unknown, where: string): StoresConfig {
  const f = r.struct(node, where)
  const def = defaultStores()
  // go-yaml only overwrites fields that are present, so absent indents keep their defaults.
  const indent = (name: string, fallback: number): number => {
    const s = r.struct(f.get(name), `${where}.${name}`)
    return s.has("indent") ? r.int(s.get("indent"), `${where}.${name}.indent`) : fallback
  }
  r.struct(f.get("dotenv"), `${where}.dotenv`)
  r.struct(f.get("ini"), `${where}.ini`)
  return {
    yaml: { indent: indent("yaml", def.yaml.indent) },
    json: { indent: indent("json", def.json.indent) },
    jsonBinary: { indent: indent("json_binary", def.jsonBinary.indent) },
  }
}

/** Decodes a creation rule (also used for a destination's `recreation_rule`). */
function creationRule(r: YamlReader, f: Fields, where: string): CreationRuleConfig {
  const at = (name: string): string => `${where}.${name}`
  return {
    pathRegex: r.string(f.get("path_regex"), at("path_regex")),
    kms: r.stringOrList(f.get("kms"), at("kms")),
    awsProfile: r.string(f.get("aws_profile"), at("aws_profile")),
    age: r.stringOrList(f.get("age"), at("age")),
    pgp: r.stringOrList(f.get("pgp"), at("pgp")),
    gcpKms: r.stringOrList(f.get("gcp_kms"), at("gcp_kms")),
    hckms: r.stringList(f.get("hckms"), at("hckms")),
    azureKeyVault: r.stringOrList(f.get("azure_keyvault"), at("azure_keyvault")),
    hcVaultTransitUri: r.stringOrList(f.get("hc_vault_transit_uri"), at("hc_vault_transit_uri")),
    keyGroups: r.list(f.get("key_groups"), at("key_groups")).map((n, i) => keyGroup(r, n, `${at("key_groups")}[${i}]`)),
    shamirThreshold: r.int(f.get("shamir_threshold"), at("shamir_threshold")),
    unencryptedSuffix: r.string(f.get("unencrypted_suffix"), at("unencrypted_suffix")),
    encryptedSuffix: r.string(f.get("encrypted_suffix"), at("encrypted_suffix")),
    unencryptedRegex: r.string(f.get("unencrypted_regex"), at("unencrypted_regex")),
    encryptedRegex: r.string(f.get("encrypted_regex"), at("encrypted_regex")),
    unencryptedCommentRegex: r.string(f.get("unencrypted_comment_regex"), at("unencrypted_comment_regex")),
    encryptedCommentRegex: r.string(f.get("encrypted_comment_regex"), at("encrypted_comment_regex")),
    macOnlyEncrypted: r.bool(f.get("mac_only_encrypted"), at("mac_only_encrypted")),
  }
}

function keyGroup(r: YamlReader, node: unknown, where: string): KeyGroupConfig {
  const f = r.struct(node, where)
  const at = (name: string): string => `${where}.${name}`
  const entries = (name: string): Array<{ fields: Fields; where: string }> =>
    r.list(f.get(name), at(name)).map((n, i) => ({ fields: r.struct(n, `${at(name)}[${i}]`), where: `${at(name)}[${i}]` }))
  return {
    merge: r.list(f.get("merge"), at("merge")).map((n, i) => keyGroup(r, n, `${at("merge")}[${i}]`)),
    kms: entries("kms").map(({ fields, where: w }): KmsKeyConfig => ({
      arn: r.string(fields.get("arn"), `${w}.arn`),
      role: r.string(fields.get("role"), `${w}.role`),
      context: r.stringMap(fields.get("context"), `${w}.context`),
      awsProfile: r.string(fields.get("aws_profile"), `${w}.aws_profile`),
    })),
    gcpKms: entries("gcp_kms").map(({ fields, where: w }) => r.string(fields.get("resource_id"), `${w}.resource_id`)),
    hckms: entries("hckms").map(({ fields, where: w }) => r.string(fields.get("key_id"), `${w}.key_id`)),
    azureKeyVault: entries("azure_keyvault").map(
      ({ fields, where: w }): AzureKeyVaultKeyConfig => ({
        vaultUrl: r.string(fields.get("vaultUrl"), `${w}.vaultUrl`),
        key: r.string(fields.get("key"), `${w}.key`),
        version: r.string(fields.get("version"), `${w}.version`),
      }),
    ),
    hcVault: r.stringList(f.get("hc_vault"), at("hc_vault")),
    age: r.stringList(f.get("age"), at("age")),
    pgp: r.stringList(f.get("pgp"), at("pgp")),
  }
}

function destinationRule(r: YamlReader, f: Fields, where: string): DestinationRuleConfig {
  const at = (name: string): string => `${where}.${name}`
  return {
    pathRegex: r.string(f.get("path_regex"), at("path_regex")),
    s3Bucket: r.string(f.get("s3_bucket"), at("s3_bucket")),
    s3Prefix: r.string(f.get("s3_prefix"), at("s3_prefix")),
    gcsBucket: r.string(f.get("gcs_bucket"), at("gcs_bucket")),
    gcsPrefix: r.string(f.get("gcs_prefix"), at("gcs_prefix")),
    vaultPath: r.string(f.get("vault_path"), at("vault_path")),
    vaultAddress: r.string(f.get("vault_address"), at("vault_address")),
    vaultKvMountName: r.string(f.get("vault_kv_mount_name"), at("vault_kv_mount_name")),
    vaultKvVersion: r.int(f.get("vault_kv_version"), at("vault_kv_version")),
    recreationRule: creationRule(r, r.struct(f.get("recreation_rule"), at("recreation_rule")), at("recreation_rule")),
    omitExtensions: r.bool(f.get("omit_extensions"), at("omit_extensions")),
  }
}
