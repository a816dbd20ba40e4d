/**
 * Server-side AWS Signature Version 4 verification for the KMS/STS emulator: the request's
 * canonical form and signature are recomputed with the secret key the emulator knows, the way
 * AWS front ends do, so a client with a wrong secret, a stale clock or a tampered body is
 * refused exactly as the real service would refuse it.
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto"
import type { IncomingHttpHeaders } from "node:http"

/** The parts of an HTTP request that SigV4 covers. */
export interface SignedRequest {
  readonly method: string
  /** Raw request target as received (path and query, still percent-encoded). */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Uint8Array
}

/** What the `Authorization` header claims. */
export interface SigV4Claim {
  readonly accessKeyId: string
  /** `YYYYMMDD` of the credential scope. */
  readonly date: string
  readonly region: string
  readonly service: string
  readonly signedHeaders: readonly string[]
  readonly signature: string
  /** The `X-Amz-Date` header (`YYYYMMDDTHHMMSSZ`). */
  readonly amzDate: string
}

/** Why a request's authentication was refused; `kind` maps to each protocol's error code. */
export type SigV4Failure =
  | { readonly kind: "missing"; readonly message: string }
  | { readonly kind: "incomplete"; readonly message: string }
  | { readonly kind: "expired"; readonly message: string }
  | { readonly kind: "mismatch"; readonly message: string }

const AUTH_PREFIX = "AWS4-HMAC-SHA256 "
/** AWS allows 15 minutes of clock skew. */
const MAX_SKEW_MS = 15 * 60 * 1000

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(",") : v
}

/**
 * Parses the `Authorization` header.
 * @returns the claim, or the failure to report
 */
export function parseAuthorization(headers: IncomingHttpHeaders): SigV4Claim | SigV4Failure {
  const auth = header(headers, "authorization")
  if (auth === undefined || auth === "") return { kind: "missing", message: "Missing Authentication Token" }
  if (!auth.startsWith(AUTH_PREFIX)) {
    return { kind: "incomplete", message: "Unsupported authorization type; expected AWS4-HMAC-SHA256" }
  }
  const fields = new Map<string, string>()
  for (const part of auth.slice(AUTH_PREFIX.length).split(",")) {
    const at = part.indexOf("=")
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim())
  }
  const credential = fields.get("Credential")
  const signedHeaders = fields.get("SignedHeaders")
  const signature = fields.get("Signature")
  const amzDate = header(headers, "x-amz-date")
  if (credential === undefined || signedHeaders === undefined || signature === undefined || amzDate === undefined) {
    return {
      kind: "incomplete",
      message:
        "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters and an X-Amz-Date header",
    }
  }
  const scope = credential.split("/")
  if (scope.length !== 5 || scope[4] !== "aws4_request") {
    return { kind: "incomplete", message: `Credential should be scoped to a valid region, not '${credential}'` }
  }
  const names = signedHeaders.split(";")
  if (!names.includes("host") || !names.includes("x-amz-date")) {
    return { kind: "incomplete", message: "SignedHeaders must include host and x-amz-date" }
  }
  return {
    accessKeyId: scope[0]!,
    date: scope[1]!,
    region: scope[2]!,
    service: scope[3]!,
    signedHeaders: names,
    signature,
    amzDate,
  }
}

/** True when `x` is a failure rather than a claim. */
export function isSigV4Failure(x: SigV4Claim | SigV4Failure): x is SigV4Failure {
  return "kind" in x
}

/** RFC 3986 escaping as AWS uses it (unreserved characters stay, everything else is %XX). */
function awsEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
}

function canonicalPath(rawPath: string): string {
  // Non-S3 services escape each (already escaped) segment once more after normalising.
  const out: string[] = []
  for (const seg of rawPath.split("/")) {
    if (seg === "" || seg === ".") continue
    if (seg === "..") out.pop()
    else out.push(seg)
  }
  const joined = `${rawPath.startsWith("/") ? "/" : ""}${out.join("/")}${out.length > 0 && rawPath.endsWith("/") ? "/" : ""}`
  return joined.split("/").map(awsEscape).join("/") || "/"
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === "") return ""
  const pairs: string[] = []
  for (const part of rawQuery.split("&")) {
    if (part === "") continue
    const at = part.indexOf("=")
    const k = decodeURIComponent((at < 0 ? part : part.slice(0, at)).replace(/\+/g, " "))
    const v = at < 0 ? "" : decodeURIComponent(part.slice(at + 1).replace(/\+/g, " "))
    if (k.toLowerCase() === "x-amz-signature") continue
    pairs.push(`${awsEscape(k)}=${awsEscape(v)}`)
  }
  return pairs.sort().join("&")
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest()
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex")
}

/** `YYYYMMDDTHHMMSSZ` → epoch ms, or NaN. */
function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s)
  if (m === null) return Number.NaN
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)
}

/**
 * Recomputes the signature of `req` with `secretAccessKey` and compares it with the claim.
 * @param now - the server clock (the signing time must be within 15 minutes of it)
 * @returns null when the signature is valid, else the failure
 */
export function verifySigV4(req: SignedRequest, claim: SigV4Claim, secretAccessKey: string, now: Date): SigV4Failure | null {
  const signedAt = parseAmzDate(claim.amzDate)
  if (Number.isNaN(signedAt)) return { kind: "incomplete", message: `Invalid X-Amz-Date '${claim.amzDate}'` }
  if (claim.amzDate.slice(0, 8) !== claim.date) {
    return { kind: "mismatch", message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP" }
  }
  if (Math.abs(now.getTime() - signedAt) > MAX_SKEW_MS) {
    return { kind: "expired", message: `Signature expired: ${claim.amzDate} is now earlier or later than the allowed 15 minutes` }
  }
  const q = req.url.indexOf("?")
  const rawPath = q < 0 ? req.url : req.url.slice(0, q)
  const rawQuery = q < 0 ? "" : req.url.slice(q + 1)
  const headerLines: string[] = []
  for (const name of claim.signedHeaders) {
    const value = header(req.headers, name)
    if (value === undefined) return { kind: "mismatch", message: `Signed header '${name}' is missing from the request` }
    headerLines.push(`${name}:${value.replace(/[\r\n]/g, " ").replace(/[ \t]+/g, " ").trim()}\n`)
  }
  // The signature covers the declared payload hash; the declared hash must then be the
  // body's, or a signed request could carry any body.
  const bodyHash = sha256Hex(req.body)
  const declared = header(req.headers, "x-amz-content-sha256")
  if (declared !== undefined && declared !== "UNSIGNED-PAYLOAD" && declared !== bodyHash) {
    return { kind: "mismatch", message: "The provided 'x-amz-content-sha256' header does not match what was computed." }
  }
  const payloadHash = declared ?? bodyHash
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalPath(rawPath),
    canonicalQuery(rawQuery),
    headerLines.join(""),
    claim.signedHeaders.join(";"),
    payloadHash,
  ].join("\n")
  const scope = `${claim.date}/${claim.region}/${claim.service}/aws4_request`
  const stringToSign = ["AWS4-HMAC-SHA256", claim.amzDate, scope, sha256Hex(canonicalRequest)].join("\n")
  let key: Buffer = hmac(`AWS4${secretAccessKey}`, claim.date)
  key = hmac(key, claim.region)
  key = hmac(key, claim.service)
  key = hmac(key, "aws4_request")
  const expected = Buffer.from(createHmac("sha256", key).update(stringToSign, "utf8").digest("hex"), "utf8")
  const given = Buffer.from(claim.signature, "utf8")
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return {
      kind: "mismatch",
      message:
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    }
  }
  return null
}
