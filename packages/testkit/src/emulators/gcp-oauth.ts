/**
 * The identity half of the GCP emulator: service-account keys it trusts, the OAuth 2.0 token
 * endpoint (JWT bearer grant, RFC 7523) and the bearer check Cloud KMS makes on every call.
 *
 * A bearer credential is one of
 * - the emulator's static token (`GOOGLE_OAUTH_ACCESS_TOKEN` in the tests);
 * - an access token this token endpoint issued, until it expires;
 * - a self-signed JWT: what google-auth-library actually sends for a service-account key
 *   when a GAPIC client such as `@google-cloud/kms` sets `useJWTAccessWithScope` (it never
 *   visits the token endpoint then). It is verified as Google does: RS256 against the
 *   account's registered public key (`kid`), `iss` = `sub` = the account, a lifetime of at
 *   most one hour, and either `aud` = `https://cloudkms.<universe>/` or a `scope` that
 *   grants Cloud KMS.
 *
 * google-auth-library's own token fetch (gtoken) posts to Google's fixed URL and ignores
 * `token_uri`, so the token endpoint serves clients that honour `token_uri` (Go's
 * golang.org/x/oauth2/google does) and tests that call it directly.
 * @module
 */
import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from "node:crypto"
import { GOOGLE_TOKEN_URL, type GcpServiceAccountCredentials } from "./gcp-service-account.js"
import { sameText } from "./same-text.js"

/** OAuth scopes that grant Cloud KMS. */
export const GCP_KMS_SCOPES: readonly string[] = ["https://www.googleapis.com/auth/cloudkms", "https://www.googleapis.com/auth/cloud-platform"]

/** Longest JWT lifetime Google accepts (`exp - iat`), in seconds. */
const MAX_LIFETIME_S = 3600
/** Clock skew tolerated on `iat` and `exp`, in seconds. */
const SKEW_S = 300
/** Lifetime of an issued access token, in seconds (what Google answers). */
const ACCESS_TOKEN_TTL_S = 3599
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

const MISSING = "Request is missing required authentication credential. Expected OAuth 2 access token."
const INVALID = "Request had invalid authentication credentials. Expected OAuth 2 access token."

/** How a KMS request authenticated. */
export type GcpAuthKind = "static-token" | "access-token" | "self-signed-jwt"

/** The outcome of the bearer check. */
export type GcpAuthResult =
  | {
      readonly ok: true
      readonly kind: GcpAuthKind
      /** The service account, for issued tokens and self-signed JWTs. */
      readonly principal: string | undefined
      /** First 16 hex digits of the SHA-256 of the credential: tells tokens apart without keeping them. */
      readonly fingerprint: string
    }
  | { readonly ok: false; readonly status: "UNAUTHENTICATED" | "PERMISSION_DENIED"; readonly message: string }

/** One request to the token endpoint (no assertion kept). */
export interface GcpTokenRequest {
  /** The `iss` of the assertion, when it could be read. */
  readonly principal: string | undefined
  /** `"OK"` or the OAuth error code answered. */
  readonly outcome: "OK" | string
}

/** The token endpoint's answer: an HTTP status and a JSON body. */
export interface GcpTokenResponse {
  readonly status: number
  readonly body: Readonly<Record<string, unknown>>
}

type Claims = Readonly<Record<string, unknown>>

/** Why a signed JWT was refused, before any audience or scope check. */
type JwtFault = "malformed" | "account" | "signature" | "time"

type JwtCheck = { readonly ok: true; readonly email: string; readonly claims: Claims } | { readonly ok: false; readonly fault: JwtFault; readonly why: string }

interface IssuedToken {
  readonly principal: string
  readonly expiresAt: number
}

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex")

function decodeJson(part: string): Claims | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"))
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Claims) : null
  } catch {
    return null
  }
}

/** RSASSA-PKCS1-v1_5 with SHA-256; a signature node:crypto cannot even parse is just invalid. */
function verifies(signed: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verify("sha256", signed, key, signature)
  } catch {
    return false
  }
}

/** A compact JWS: three non-empty base64url parts. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

function scopesOf(claims: Claims): string[] | undefined {
  const s = claims["scope"]
  return typeof s === "string" ? s.split(" ").filter((x) => x !== "") : undefined
}

const grantsKms = (scopes: readonly string[]): boolean => scopes.some((s) => GCP_KMS_SCOPES.includes(s))

/** Service accounts, issued tokens and the checks on them. Shared by both KMS front ends. */
export class GcpIdentity {
  /** Every token-endpoint request, in order. */
  readonly tokenRequests: GcpTokenRequest[] = []
  /** client_email → private_key_id → public key. */
  private readonly accounts = new Map<string, Map<string, KeyObject>>()
  /** SHA-256 of issued access tokens → who and until when. */
  private readonly issued = new Map<string, IssuedToken>()
  private url = GOOGLE_TOKEN_URL

  /**
   * @param staticToken - a bearer token accepted as is
   * @param universeDomain - the universe whose KMS audience self-signed JWTs must name
   */
  constructor(
    readonly staticToken: string,
    readonly universeDomain = "googleapis.com",
  ) {}

  /** The token endpoint's URL, the `aud` its assertions must carry (Google's own URL is accepted too). */
  get tokenUrl(): string {
    return this.url
  }

  /** Sets where the token endpoint is served, once its server listens. */
  setTokenUrl(url: string): void {
    this.url = url
  }

  /** The audience of a self-signed JWT for Cloud KMS. */
  get kmsAudience(): string {
    return `https://cloudkms.${this.universeDomain}/`
  }

  /**
   * Trusts a service-account key: its public half is derived from `private_key` and filed
   * under `client_email` and `private_key_id`, as IAM does when a key is created.
   */
  registerServiceAccount(account: Pick<GcpServiceAccountCredentials, "client_email" | "private_key_id" | "private_key">): void {
    let keys = this.accounts.get(account.client_email)
    if (keys === undefined) this.accounts.set(account.client_email, (keys = new Map()))
    keys.set(account.private_key_id, createPublicKey(account.private_key))
  }

  /** Deletes a key (or, without `keyId`, the account): tokens it signs are refused from now on. */
  removeServiceAccount(email: string, keyId?: string): void {
    if (keyId === undefined) this.accounts.delete(email)
    else this.accounts.get(email)?.delete(keyId)
  }

  /** Checks the `authorization` a KMS request carried. */
  authenticate(authorization: string | undefined): GcpAuthResult {
    const m = /^Bearer (.+)$/i.exec(authorization ?? "")
    if (m === null) return { ok: false, status: "UNAUTHENTICATED", message: MISSING }
    const token = m[1]!
    const fingerprint = sha256(token).slice(0, 16)
    if (sameText(token, this.staticToken)) return { ok: true, kind: "static-token", principal: undefined, fingerprint }
    const issued = this.issued.get(sha256(token))
    if (issued !== undefined) {
      if (issued.expiresAt <= Date.now()) return { ok: false, status: "UNAUTHENTICATED", message: `${INVALID} (the access token expired)` }
      return { ok: true, kind: "access-token", principal: issued.principal, fingerprint }
    }
    if (!COMPACT_JWS.test(token)) return { ok: false, status: "UNAUTHENTICATED", message: INVALID }
    return this.selfSignedJwt(token, fingerprint)
  }

  private selfSignedJwt(token: string, fingerprint: string): GcpAuthResult {
    const refuse = (why: string): GcpAuthResult => ({ ok: false, status: "UNAUTHENTICATED", message: `${INVALID} (invalid self-signed JWT: ${why})` })
    const jwt = this.verifyJwt(token)
    if (!jwt.ok) return refuse(jwt.why)
    const { email, claims } = jwt
    if (claims["sub"] !== email) return refuse("sub must be the service account named by iss")
    const aud = claims["aud"]
    const scopes = scopesOf(claims)
    if (aud !== undefined && aud !== this.kmsAudience) return refuse(`the audience must be ${this.kmsAudience}`)
    if (aud === undefined && scopes === undefined) return refuse("it has neither aud nor scope")
    if (scopes !== undefined && !grantsKms(scopes)) {
      return { ok: false, status: "PERMISSION_DENIED", message: "Request had insufficient authentication scopes." }
    }
    return { ok: true, kind: "self-signed-jwt", principal: email, fingerprint }
  }

  /**
   * Verifies a compact RS256 JWT signed by a registered service-account key: shape, `alg`,
   * `iss`, the signature (against `kid`'s key, or any of the account's keys without `kid`),
   * and `iat`/`exp` (now within skew, at most an hour apart). Audience and scope are the
   * caller's business.
   */
  private verifyJwt(token: string): JwtCheck {
    const parts = token.split(".")
    const header = COMPACT_JWS.test(token) ? decodeJson(parts[0]!) : null
    const claims = header === null ? null : decodeJson(parts[1]!)
    if (header === null || claims === null) return { ok: false, fault: "malformed", why: "not a JWT" }
    // RS256 only: "none", HMAC with the public key as secret and the rest never verify.
    if (header["alg"] !== "RS256") return { ok: false, fault: "signature", why: "the algorithm must be RS256" }
    const email = claims["iss"]
    const keys = typeof email === "string" ? this.accounts.get(email) : undefined
    if (typeof email !== "string" || keys === undefined) return { ok: false, fault: "account", why: "unknown service account" }
    const kid = header["kid"]
    const candidates = kid === undefined ? [...keys.values()] : typeof kid === "string" && keys.has(kid) ? [keys.get(kid)!] : []
    if (candidates.length === 0) return { ok: false, fault: "signature", why: "no such key for the service account" }
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`)
    const signature = Buffer.from(parts[2]!, "base64url")
    if (!candidates.some((k) => verifies(signed, k, signature))) return { ok: false, fault: "signature", why: "invalid signature" }
    const iat = claims["iat"]
    const exp = claims["exp"]
    const now = Math.floor(Date.now() / 1000)
    if (typeof iat !== "number" || typeof exp !== "number" || !Number.isFinite(iat) || !Number.isFinite(exp)) {
      return { ok: false, fault: "time", why: "iat and exp must be numbers" }
    }
    if (exp <= iat || exp - iat > MAX_LIFETIME_S) return { ok: false, fault: "time", why: "the lifetime must be at most one hour" }
    if (iat > now + SKEW_S) return { ok: false, fault: "time", why: "issued in the future" }
    if (exp < now - SKEW_S) return { ok: false, fault: "time", why: "expired" }
    return { ok: true, email, claims }
  }

  /**
   * The token endpoint (`POST token_uri`): a form with `grant_type` = JWT bearer and an
   * `assertion` signed by a registered key, whose `aud` is this endpoint and whose `scope`
   * grants Cloud KMS. Answers `{access_token, expires_in, token_type}` or an OAuth error.
   * @param contentType - the request's Content-Type
   * @param body - the request body
   */
  token(contentType: string | undefined, body: string): GcpTokenResponse {
    const form = (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/x-www-form-urlencoded" ? new URLSearchParams(body) : null
    const grant = form?.get("grant_type")
    const assertion = form?.get("assertion")
    let principal: string | undefined
    const error = (status: number, code: string, description: string): GcpTokenResponse => {
      this.tokenRequests.push({ principal, outcome: code })
      return { status, body: { error: code, error_description: description } }
    }
    if (form === null || grant === null || grant === undefined) return error(400, "invalid_request", "Missing required parameter: grant_type")
    if (grant !== JWT_BEARER) return error(400, "unsupported_grant_type", `Invalid grant_type: ${grant.slice(0, 80)}`)
    if (assertion === null || assertion === undefined) return error(400, "invalid_request", "Missing required parameter: assertion")
    const jwt = this.verifyJwt(assertion)
    if (!jwt.ok) return error(400, "invalid_grant", TOKEN_FAULTS[jwt.fault])
    const { email, claims } = jwt
    principal = email
    const aud = claims["aud"]
    if (aud !== this.url && aud !== GOOGLE_TOKEN_URL) return error(400, "invalid_grant", `Invalid JWT: Failed audience check. The right audience is ${this.url}`)
    const sub = claims["sub"]
    if (sub !== undefined && sub !== email) {
      // Domain-wide delegation: the account is not authorized to act for another user here.
      return error(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
    }
    const scopes = scopesOf(claims)
    if (scopes === undefined || !grantsKms(scopes)) return error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    const accessToken = `ya29.c.emulator-${randomBytes(24).toString("base64url")}`
    this.issued.set(sha256(accessToken), { principal: email, expiresAt: Date.now() + ACCESS_TOKEN_TTL_S * 1000 })
    this.tokenRequests.push({ principal, outcome: "OK" })
    return { status: 200, body: { access_token: accessToken, expires_in: ACCESS_TOKEN_TTL_S, token_type: "Bearer" } }
  }
}

/** The token endpoint's `error_description` per fault (Google's wording where known). */
const TOKEN_FAULTS: Readonly<Record<JwtFault, string>> = {
  malformed: "Invalid JWT: the assertion is not a compact JWS.",
  account: "Invalid grant: account not found",
  signature: "Invalid JWT Signature.",
  time: "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
}
