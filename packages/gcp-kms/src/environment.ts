/**
 * The sops environment variables of the GCP KMS key source, for the CLI.
 * @module
 */
import { readFileSync, statSync } from "node:fs"
import { SopsError } from "@sops-ts/core"
import type { GcpKmsKeyServiceOptions } from "./options.js"

/** Environment variables read by {@link gcpKmsOptionsFromEnvironment}. */
export const GCP_KMS_ENV = {
  credentials: "GOOGLE_CREDENTIALS",
  accessToken: "GOOGLE_OAUTH_ACCESS_TOKEN",
  clientType: "SOPS_GCP_KMS_CLIENT_TYPE",
  endpoint: "SOPS_GCP_KMS_ENDPOINT",
  universeDomain: "SOPS_GCP_KMS_UNIVERSE_DOMAIN",
} as const

/** File access used to resolve `GOOGLE_CREDENTIALS` (injectable for tests). */
export interface CredentialFileReader {
  /** The file's text, or `undefined` when no file exists at `path`. */
  readonly readIfExists: (path: string) => string | undefined
}

const nodeFiles: CredentialFileReader = {
  readIfExists(path) {
    try {
      statSync(path)
    } catch {
      return undefined
    }
    // sops reads the file when it exists; a read failure then surfaces as an error.
    try {
      return readFileSync(path, "utf8")
    } catch (err) {
      throw new SopsError("ERR_IO", `cannot read the GOOGLE_CREDENTIALS file ${JSON.stringify(path)}`, { cause: err })
    }
  },
}

/**
 * Builds {@link GcpKmsKeyServiceOptions} from the variables sops reads:
 * - `GOOGLE_CREDENTIALS`: a path to a credentials file if one exists there, else the JSON
 *   itself; takes precedence over
 * - `GOOGLE_OAUTH_ACCESS_TOKEN`: a static bearer token; without either, application default
 *   credentials are used;
 * - `SOPS_GCP_KMS_CLIENT_TYPE=rest` selects the REST transport (anything else: gRPC);
 * - `SOPS_GCP_KMS_ENDPOINT` overrides the endpoint, else `SOPS_GCP_KMS_UNIVERSE_DOMAIN` sets
 *   the universe domain.
 *
 * Credentials are not parsed here: a malformed value is reported when a GCP key is used, so
 * files without GCP keys are unaffected.
 * @param env - the environment (e.g. `process.env`)
 * @param files - how to read a credentials file (default: node:fs)
 * @throws SopsError `ERR_IO` when `GOOGLE_CREDENTIALS` names a file that cannot be read
 */
export function gcpKmsOptionsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  files: CredentialFileReader = nodeFiles,
): GcpKmsKeyServiceOptions {
  const out: { -readonly [K in keyof GcpKmsKeyServiceOptions]: GcpKmsKeyServiceOptions[K] } = {}
  const creds = env[GCP_KMS_ENV.credentials]
  const token = env[GCP_KMS_ENV.accessToken]
  if (creds) out.credentials = files.readIfExists(creds) ?? creds
  else if (token) out.accessToken = token
  if ((env[GCP_KMS_ENV.clientType] ?? "").toLowerCase() === "rest") out.transport = "rest"
  const endpoint = env[GCP_KMS_ENV.endpoint]
  const universe = env[GCP_KMS_ENV.universeDomain]
  if (endpoint) out.apiEndpoint = endpoint
  else if (universe) out.universeDomain = universe
  return out
}
