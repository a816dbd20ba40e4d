/**
 * Throwaway GCP service-account keys for the emulator tests: the JSON key file the IAM console
 * hands out (an RSA key pair made with node:crypto), and RS256 JWT signing with it, so tests
 * can also present tokens the client library would never make (wrong audience, expired, …).
 * @module
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto"

/** Google's OAuth 2.0 token endpoint, the `token_uri` of real key files. */
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"

/** The JSON key file of a service account (`"type": "service_account"`), field for field. */
export interface GcpServiceAccountCredentials {
  readonly type: "service_account"
  readonly project_id: string
  /** The key's id; the client library sends it as the JWT header's `kid`. */
  readonly private_key_id: string
  /** PKCS#8 PEM RSA private key. */
  readonly private_key: string
  readonly client_email: string
  readonly client_id: string
  readonly auth_uri: string
  readonly token_uri: string
  readonly auth_provider_x509_cert_url: string
  readonly client_x509_cert_url: string
  readonly universe_domain: string
}

/** Options of {@link generateGcpServiceAccount}. */
export interface GcpServiceAccountOptions {
  /** The account id, the part before `@` (default `sops-test`). */
  readonly name?: string
  /** The project id (default `sops-ts`). */
  readonly projectId?: string
  /** Where the token endpoint is (default {@link GOOGLE_TOKEN_URL}). */
  readonly tokenUri?: string
}

/**
 * Generates a service account key: a fresh 2048-bit RSA key pair, a random 40-hex
 * `private_key_id`, and `client_email` `<name>@<projectId>.iam.gserviceaccount.com`.
 * Two calls with the same name give the same account with different keys.
 */
export function generateGcpServiceAccount(options: GcpServiceAccountOptions = {}): GcpServiceAccountCredentials {
  const name = options.name ?? "sops-test"
  const projectId = options.projectId ?? "sops-ts"
  const email = `${name}@${projectId}.iam.gserviceaccount.com`
  // Encoded by the generation, never exported afterwards (that can deadlock Node 20).
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  })
  return {
    type: "service_account",
    project_id: projectId,
    private_key_id: randomBytes(20).toString("hex"),
    private_key: privateKey,
    client_email: email,
    client_id: BigInt(`0x${randomBytes(8).toString("hex")}`).toString(),
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: options.tokenUri ?? GOOGLE_TOKEN_URL,
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
    universe_domain: "googleapis.com",
  }
}

const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url")

/**
 * Signs `claims` as a compact RS256 JWT with the account's private key, with the header
 * google-auth-library writes (`{"alg":"RS256","typ":"JWT","kid":private_key_id}`) merged with
 * `header`.
 * @param account - whose key signs (only `private_key` and `private_key_id` are used)
 * @param claims - the payload, as is (nothing is added)
 * @param header - header fields to add or override
 */
export function signGcpJwt(
  account: Pick<GcpServiceAccountCredentials, "private_key" | "private_key_id">,
  claims: Readonly<Record<string, unknown>>,
  header: Readonly<Record<string, unknown>> = {},
): string {
  const input = `${b64url({ alg: "RS256", typ: "JWT", kid: account.private_key_id, ...header })}.${b64url(claims)}`
  return `${input}.${sign("sha256", Buffer.from(input), account.private_key).toString("base64url")}`
}
