/**
 * The flags of every command, as sops 3.13 declares them (`cmd/sops/main.go`). A subcommand
 * sees only its own flags; `--config`, `--indent` and the comment-regex flags are global.
 * @module
 */
import type { FlagSpec } from "./args.js"

const f = (name: string, kind: FlagSpec["kind"], help: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind, help, ...extra })

/** `--keyservice` and `--enable-local-keyservice`, declared on most commands. */
export const KEYSERVICE_FLAGS: readonly FlagSpec[] = [
  f("keyservice", "list", "Specify the key services to use in addition to the local one (tcp://host:port or unix:///path). Can be repeated.", { env: "SOPS_KEYSERVICE" }),
  f("enable-local-keyservice", "bool", "use the local key service (default true; disable with =false)", { env: "SOPS_ENABLE_LOCAL_KEYSERVICE", default: true }),
]

/** `--verbose`, accepted everywhere (prints causes and stack traces of errors). */
export const VERBOSE: FlagSpec = f("verbose", "bool", "Enable verbose logging output")

export const HELP: FlagSpec = f("help", "bool", "show help", { aliases: ["h"] })

export const INPUT_TYPE = f("input-type", "string", "currently json, yaml, dotenv, ini and binary are supported. If not set, the file's extension decides")
export const OUTPUT_TYPE = f("output-type", "string", "currently json, yaml, dotenv, ini and binary are supported. If not set, the input file's extension decides")
export const IN_PLACE = f("in-place", "bool", "write output back to the same file instead of stdout", { aliases: ["i"] })
export const OUTPUT = f("output", "string", "save the output to the file specified")
export const IGNORE_MAC = f("ignore-mac", "bool", "ignore Message Authentication Code during decryption")
export const FILENAME_OVERRIDE = f("filename-override", "string", "use this filename instead of the provided argument for loading configuration and for determining input and output type (required for encrypt from stdin)")
export const DECRYPTION_ORDER = f("decryption-order", "string", "comma separated list of decryption key types", { env: "SOPS_DECRYPTION_ORDER" })
export const SHAMIR = f("shamir-secret-sharing-threshold", "int", "the number of master keys required to retrieve the data key with shamir")
export const ENCRYPTION_CONTEXT = f("encryption-context", "string", "comma separated list of KMS encryption context key:value pairs")
export const EXTRACT = f("extract", "string", 'extract a specific key or branch from the input document. Example: --extract \'["somekey"][0]\'')

/** The key list flags of `encrypt`, `edit` and the legacy form, bound to `SOPS_*` variables. */
export const KEY_FLAGS: readonly FlagSpec[] = [
  f("kms", "string", "comma separated list of KMS ARNs", { aliases: ["k"], env: "SOPS_KMS_ARN" }),
  f("aws-profile", "string", "the AWS profile to use for requests to AWS"),
  f("gcp-kms", "string", "comma separated list of GCP KMS resource IDs", { env: "SOPS_GCP_KMS_IDS" }),
  f("hckms", "string", "comma separated list of HuaweiCloud KMS key IDs (region:key-uuid)", { env: "SOPS_HUAWEICLOUD_KMS_IDS" }),
  f("azure-kv", "string", "comma separated list of Azure Key Vault URLs", { env: "SOPS_AZURE_KEYVAULT_URLS" }),
  f("hc-vault-transit", "string", "comma separated list of Vault key URIs (e.g. 'https://vault.example.org:8200/v1/transit/keys/dev')", { env: "SOPS_VAULT_URIS" }),
  f("pgp", "string", "comma separated list of PGP fingerprints", { aliases: ["p"], env: "SOPS_PGP_FP" }),
  f("age", "string", "comma separated list of age recipients", { aliases: ["a"], env: "SOPS_AGE_RECIPIENTS" }),
]

/** Value-selection flags of `encrypt`, `edit` and the legacy form. */
export const SELECTION_FLAGS: readonly FlagSpec[] = [
  f("unencrypted-suffix", "string", "override the unencrypted key suffix"),
  f("encrypted-suffix", "string", "override the encrypted key suffix; when empty, all keys are encrypted unless marked with unencrypted-suffix"),
  f("unencrypted-regex", "string", "set the unencrypted key regex; keys matching it are left unencrypted"),
  f("encrypted-regex", "string", "set the encrypted key regex; only keys matching it are encrypted"),
]

/** The key types of `--add-*`/`--rm-*` (flag suffix). */
export const ROTATE_KEY_TYPES = ["kms", "gcp-kms", "hckms", "azure-kv", "hc-vault-transit", "pgp", "age"] as const

/** `--add-<type>` and `--rm-<type>` for every key type. */
export const ADD_RM_FLAGS: readonly FlagSpec[] = ROTATE_KEY_TYPES.flatMap((t) => [
  f(`add-${t}`, "string", `add the provided comma-separated list of ${t} keys to the list of master keys on the given file`),
  f(`rm-${t}`, "string", `remove the provided comma-separated list of ${t} keys from the list of master keys on the given file`),
])

/** Global (top-level) flags, which also drive the legacy `sops -d/-e/-r/--set file` form. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  f("decrypt", "bool", "decrypt a file and output the result to stdout", { aliases: ["d"] }),
  f("encrypt", "bool", "encrypt a file and output the result to stdout", { aliases: ["e"] }),
  f("rotate", "bool", "generate a new data encryption key and reencrypt all values with the new key", { aliases: ["r"] }),
  f("disable-version-check", "bool", "disable the check for a newer version", { env: "SOPS_DISABLE_VERSION_CHECK" }),
  f("check-for-updates", "bool", "check for a newer version (not supported; ignored)"),
  ...KEY_FLAGS,
  IN_PLACE,
  EXTRACT,
  INPUT_TYPE,
  OUTPUT_TYPE,
  f("show-master-keys", "bool", "display master encryption keys in the file during editing", { aliases: ["s"] }),
  ...ADD_RM_FLAGS,
  IGNORE_MAC,
  f("mac-only-encrypted", "bool", "compute the MAC only over values which were encrypted"),
  ...SELECTION_FLAGS,
  f("unencrypted-comment-regex", "string", "set the unencrypted comment regex; values after a matching comment stay unencrypted"),
  f("encrypted-comment-regex", "string", "set the encrypted comment regex; only values after a matching comment are encrypted"),
  f("config", "string", "path to sops' config file; when set, sops does not look for .sops.yaml", { env: "SOPS_CONFIG" }),
  ENCRYPTION_CONTEXT,
  f("set", "string", `set a specific key or branch in the input document. value must be a json encoded string. eg. --set '["somekey"][0] {"somevalue":true}'`),
  SHAMIR,
  f("indent", "int", "the number of spaces to indent YAML or JSON encoded output"),
  VERBOSE,
  OUTPUT,
  FILENAME_OVERRIDE,
  DECRYPTION_ORDER,
  ...KEYSERVICE_FLAGS,
  f("version", "bool", "print the version", { aliases: ["v"] }),
  HELP,
]

/** Names that only exist as global flags, for a helpful error when used after a subcommand. */
export const GLOBAL_ONLY = new Set([
  "config",
  "indent",
  "mac-only-encrypted",
  "unencrypted-comment-regex",
  "encrypted-comment-regex",
])

/** Per-subcommand flag lists. */
export const COMMAND_FLAGS: Readonly<Record<string, readonly FlagSpec[]>> = {
  decrypt: [IN_PLACE, EXTRACT, OUTPUT, INPUT_TYPE, OUTPUT_TYPE, IGNORE_MAC, FILENAME_OVERRIDE, DECRYPTION_ORDER, ...KEYSERVICE_FLAGS, VERBOSE, HELP],
  encrypt: [IN_PLACE, OUTPUT, ...KEY_FLAGS, INPUT_TYPE, OUTPUT_TYPE, ...SELECTION_FLAGS, ENCRYPTION_CONTEXT, SHAMIR, FILENAME_OVERRIDE, ...KEYSERVICE_FLAGS, VERBOSE, HELP],
  rotate: [IN_PLACE, OUTPUT, INPUT_TYPE, OUTPUT_TYPE, ENCRYPTION_CONTEXT, ...ADD_RM_FLAGS, FILENAME_OVERRIDE, DECRYPTION_ORDER, ...KEYSERVICE_FLAGS, VERBOSE, HELP],
  edit: [...KEY_FLAGS, INPUT_TYPE, OUTPUT_TYPE, ...SELECTION_FLAGS, ENCRYPTION_CONTEXT, SHAMIR, f("show-master-keys", "bool", "display master encryption keys in the file during editing", { aliases: ["s"] }), IGNORE_MAC, DECRYPTION_ORDER, ...KEYSERVICE_FLAGS, VERBOSE, HELP],
  set: [INPUT_TYPE, OUTPUT_TYPE, f("value-file", "bool", "treat 'value' as a file to read the actual value from"), f("value-stdin", "bool", "read the value from standard input"), SHAMIR, IGNORE_MAC, DECRYPTION_ORDER, f("idempotent", "bool", "do nothing if the given index already has the given value"), ...KEYSERVICE_FLAGS, VERBOSE, HELP],
  unset: [INPUT_TYPE, OUTPUT_TYPE, SHAMIR, IGNORE_MAC, DECRYPTION_ORDER, f("idempotent", "bool", "do nothing if the given index does not exist"), ...KEYSERVICE_FLAGS, VERBOSE, HELP],
  filestatus: [INPUT_TYPE, VERBOSE, HELP],
  updatekeys: [f("yes", "bool", "pre-approve all changes and run non-interactively", { aliases: ["y"] }), INPUT_TYPE, SHAMIR, DECRYPTION_ORDER, ...KEYSERVICE_FLAGS, VERBOSE, HELP],
  "exec-env": [
    f("background", "bool", "background the process and don't wait for it to complete (DEPRECATED)"),
    f("pristine", "bool", "insert only the decrypted values into the environment without forwarding existing environment variables"),
    f("user", "string", "the user to run the command as"),
    f("same-process", "bool", "run the command in place of sops (not supported by Node; the command runs as a child and its status is passed through)"),
    DECRYPTION_ORDER,
    INPUT_TYPE,
    ...KEYSERVICE_FLAGS,
    VERBOSE,
    HELP,
  ],
  "exec-file": [
    f("background", "bool", "background the process and don't wait for it to complete (DEPRECATED)"),
    f("no-fifo", "bool", "use a regular file (mode 0600) instead of a FIFO"),
    f("user", "string", "the user to run the command as"),
    INPUT_TYPE,
    OUTPUT_TYPE,
    f("filename", "string", "filename for the temporary file (default: tmp-file)"),
    DECRYPTION_ORDER,
    ...KEYSERVICE_FLAGS,
    VERBOSE,
    HELP,
  ],
  "groups add": [
    f("file", "string", "the file to add the key group to", { aliases: ["f"] }),
    f("pgp", "list", "the PGP fingerprints the new group should contain. Can be specified more than once"),
    f("kms", "list", "the KMS ARNs the new group should contain. Can be specified more than once"),
    f("aws-profile", "string", "the AWS profile to use for requests to AWS"),
    f("gcp-kms", "list", "the GCP KMS Resource ID the new group should contain. Can be specified more than once"),
    f("hckms", "list", "accepted and ignored, as in sops"),
    f("azure-kv", "list", "the Azure Key Vault key URL the new group should contain. Can be specified more than once"),
    f("hc-vault-transit", "list", "the full vault path to the key used to encrypt/decrypt. Can be specified more than once"),
    f("age", "list", "the age recipient the new group should contain. Can be specified more than once"),
    IN_PLACE,
    SHAMIR,
    ENCRYPTION_CONTEXT,
    DECRYPTION_ORDER,
    ...KEYSERVICE_FLAGS,
    VERBOSE,
    HELP,
  ],
  completion: [HELP],
  // `keyservice` parses its own flags (it is mounted from @sops-ts/keyservice); this entry
  // only feeds completion, and a test checks it against that command's --help.
  keyservice: [
    f("network", "string", "network to listen on, e.g. 'tcp' or 'unix'", { aliases: ["net"] }),
    f("address", "string", "address to listen on, e.g. '127.0.0.1:5000' or '/tmp/sops.sock'", { aliases: ["addr"] }),
    f("prompt", "bool", "Prompt user to confirm every incoming request"),
    VERBOSE,
    HELP,
  ],
  "groups delete": [f("file", "string", "the file to delete the key group from", { aliases: ["f"] }), IN_PLACE, SHAMIR, DECRYPTION_ORDER, ...KEYSERVICE_FLAGS, VERBOSE, HELP],
}
