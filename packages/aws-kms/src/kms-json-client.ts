/**
 * Sends `kms:Encrypt` and `kms:Decrypt` for the KMS clients this package builds, without the
 * SDK's per-call middleware pipeline.
 *
 * A `client.send(command)` of SDK v3 costs about 0.45 ms of CPU on top of the HTTP exchange
 * (measured against the loopback emulator): among other things it spreads the whole client
 * configuration into new objects several times per call, builds a new SigV4 signer (and so
 * derives the signing key again) for every request, and escapes the user agent anew. A bulk
 * re-key pays that once per file, on the thread that also parses and writes the files.
 *
 * This client takes from the SDK everything that decides what is sent, resolved once per
 * client: the endpoint (`getEndpointFromInstructions`, the SDK's own rules, so a custom
 * endpoint, `AWS_ENDPOINT_URL_KMS`, a shared-config `services` `endpoint_url`, FIPS and
 * dual-stack settings apply), the SigV4 signer built by the client's `signer` provider (with the client's
 * credential chain and its caching), and the clock-skew offset, which it keeps up to date as
 * the SDK does. It writes the JSON request of the `awsJson1_1` protocol itself, signs it, sends
 * it through the same HTTP handler as the client, and turns error answers into the SDK's own
 * exception classes, so that callers see the same errors either way. The gain is about
 * 0.35 ms of CPU per call.
 * @module
 */
// The namespace is for looking up the SDK's exception classes by error name.
import * as kms from "@aws-sdk/client-kms"
import { DecryptCommand, EncryptCommand, KMSServiceException, type KMSClient } from "@aws-sdk/client-kms"
import { getEndpointFromInstructions } from "@smithy/core/endpoints"
import { decodeStdBase64, encodeStdBase64 } from "@sops-ts/core"
import type { KmsHttpHandler, SdkHandlerOptions, SdkHttpRequest, SdkHttpResponse } from "./http-handler.js"

/** Input of an Encrypt call. */
export interface KmsEncryptInput {
  readonly keyId: string
  readonly plaintext: Uint8Array
  readonly context?: Readonly<Record<string, string>> | undefined
}

/** Input of a Decrypt call. */
export interface KmsDecryptInput {
  readonly keyId: string
  readonly ciphertext: Uint8Array
  readonly context?: Readonly<Record<string, string>> | undefined
}

/**
 * The two KMS operations a key service needs. Both resolve with the returned bytes, or
 * `undefined` when the answer has none, and reject with the SDK's errors.
 */
export interface KmsCaller {
  /** `kms:Encrypt`: the ciphertext blob. */
  encrypt(input: KmsEncryptInput, signal: AbortSignal | undefined): Promise<Uint8Array | undefined>
  /** `kms:Decrypt`: the plaintext. */
  decrypt(input: KmsDecryptInput, signal: AbortSignal | undefined): Promise<Uint8Array | undefined>
}

/**
 * A {@link KmsCaller} that sends SDK commands through `client` as they are: for clients the
 * caller built (`clientFor`), whose middleware may matter to them.
 */
export function sdkKmsCaller(client: KMSClient): KmsCaller {
  // The SDK rebuilds its middleware stack for every call sent with options, which costs about
  // a third of a call's CPU; calls without options reuse it. So the SDK gets options only
  // when there is a signal to pass.
  const options = (signal: AbortSignal | undefined): [] | [{ abortSignal: AbortSignal }] => (signal === undefined ? [] : [{ abortSignal: signal }])
  return {
    async encrypt(input, signal) {
      const command = new EncryptCommand({
        KeyId: input.keyId,
        Plaintext: input.plaintext,
        ...(input.context !== undefined ? { EncryptionContext: { ...input.context } } : {}),
      })
      return (await client.send(command, ...options(signal))).CiphertextBlob
    },
    async decrypt(input, signal) {
      const command = new DecryptCommand({
        KeyId: input.keyId,
        CiphertextBlob: input.ciphertext,
        ...(input.context !== undefined ? { EncryptionContext: { ...input.context } } : {}),
      })
      return (await client.send(command, ...options(signal))).Plaintext
    },
  }
}

/** The transport a {@link KmsJsonClient} sends through: the client's {@link KmsHttpHandler}. */
export interface KmsTransport {
  handle(request: SdkHttpRequest, options?: SdkHandlerOptions): Promise<{ response: SdkHttpResponse }>
}

/** The SigV4 signer the client's `signer` provider returns (`@smithy/signature-v4`'s `SignatureV4`). */
interface RequestSigner {
  sign(request: SdkHttpRequest, options: { signingDate: Date; signingRegion?: string; signingService?: string }): Promise<SdkHttpRequest>
}

/** What is resolved once per client. */
interface Route {
  readonly url: URL
  /** The endpoint's path joined with the operation's, `/` (as the SDK joins them). */
  readonly path: string
  readonly query: Readonly<Record<string, string | string[]>>
  readonly headers: Readonly<Record<string, string>>
  readonly signer: RequestSigner
  readonly signingRegion: string
  readonly signingService: string
  readonly skewCorrection: boolean
}

/** The client configuration fields this module reads, as the SDK resolves them. */
interface ResolvedConfig {
  systemClockOffset: number
  readonly region: () => Promise<string>
  readonly signer: (authScheme?: unknown) => Promise<RequestSigner>
  readonly disableClockSkewCorrection?: () => Promise<boolean>
  readonly defaultUserAgentProvider: () => Promise<ReadonlyArray<readonly [string, string?]>>
}

/** The part of an EndpointV2 this module reads. */
interface ResolvedEndpoint {
  readonly url: URL
  readonly headers?: Readonly<Record<string, readonly string[]>>
  readonly properties?: { readonly authSchemes?: ReadonlyArray<{ readonly name?: string; readonly signingRegion?: string; readonly signingName?: string }> }
}

const JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
/** The SDK marks a corrected clock (and so a worthwhile retry) from this offset on. */
const SKEW_RETRY_THRESHOLD_MS = 240_000
/** Answers slower than this say nothing reliable about the server's clock (as in the SDK). */
const MAX_SAMPLE_ROUND_TRIP_MS = 900_000

/** `user-agent` from the SDK's default pairs (`aws-sdk-js/3.x`, `os/linux`, ...), written once. */
function userAgentOf(pairs: ReadonlyArray<readonly [string, string?]>): string {
  const clean = (s: string): string => s.replace(/[^!#$%&'*+\-.^_`|~\w/]/g, "-")
  return pairs.map(([name, version]) => (version === undefined || version === "" ? clean(name) : `${clean(name)}/${clean(version)}`)).join(" ")
}

/** The error name of an `awsJson1_1` error answer: `com.amazonaws.kms#NotFoundException:...` → `NotFoundException`. */
function errorName(raw: string): string {
  const noSuffix = raw.split(":")[0]!
  return noSuffix.slice(noSuffix.lastIndexOf("#") + 1)
}

/** The SDK's exception class for a modeled KMS error name, if there is one. */
function exceptionClass(name: string): (new (options: object) => KMSServiceException) | undefined {
  const candidate = (kms as Record<string, unknown>)[name]
  return typeof candidate === "function" && candidate.prototype instanceof KMSServiceException
    ? (candidate as new (options: object) => KMSServiceException)
    : undefined
}

function parseJson(body: Uint8Array): Record<string, unknown> | undefined {
  if (body.length === 0) return undefined
  try {
    const v: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"))
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The SDK's `$metadata` for an answer. */
function metadataOf(response: SdkHttpResponse): { httpStatusCode: number; requestId?: string; attempts: number; totalRetryDelay: number } {
  const requestId = response.headers["x-amzn-requestid"] ?? response.headers["x-amz-request-id"]
  return { httpStatusCode: response.statusCode, ...(requestId !== undefined ? { requestId } : {}), attempts: 1, totalRetryDelay: 0 }
}

/**
 * The error the SDK would throw for a non-2xx answer: an instance of the modeled exception
 * class (`NotFoundException`, `InvalidCiphertextException`, ...) when KMS models it, otherwise a
 * `KMSServiceException` named after the error type (`Unknown` when the answer names none), with
 * the SDK's `message` fallback (`UnknownError`). The raw answer is kept, hidden, as
 * `$response`, as the SDK does.
 *
 * One difference, on purpose: a body that is not JSON at all (a proxy's error page) gives the
 * same `KMSServiceException` with a message naming the status and content type, where the SDK
 * throws its JSON parser's `SyntaxError`. Both carry the HTTP status, so a 5xx is retried either way.
 */
export function kmsErrorFromResponse(response: SdkHttpResponse): KMSServiceException {
  const parsed = parseJson(response.body)
  const body = parsed ?? {}
  const rawName = response.headers["x-amzn-errortype"] ?? body["__type"] ?? body["code"] ?? body["Code"]
  const name = typeof rawName === "string" && rawName !== "" ? errorName(rawName) : "Unknown"
  const rawMessage = body["message"] ?? body["Message"]
  const notJson = parsed === undefined && response.body.length > 0
  const message =
    typeof rawMessage === "string"
      ? rawMessage
      : notJson
        ? `HTTP ${response.statusCode} answer that is not KMS JSON (${response.headers["content-type"] ?? "no content type"})`
        : "UnknownError"
  const $metadata = metadataOf(response)
  const Modeled = exceptionClass(name)
  const fields: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body)) if (k !== "__type" && k !== "message" && k !== "Message") fields[k] = v
  const err = Modeled
    ? new Modeled({ ...fields, message, $metadata })
    : new KMSServiceException({ name, $fault: response.statusCode >= 500 ? "server" : "client", message, $metadata })
  Object.defineProperty(err, "$response", { value: response, enumerable: false })
  return err
}

/**
 * The clock offset after an answer, as the SDK's SigV4 signer computes it: the server's
 * `Date` minus the local clock, unless the answer came from a cache (`Age`) or took too long.
 */
function updatedClockOffset(response: SdkHttpResponse, current: number, sentAt: number): number {
  const date = response.headers["date"]
  if (date === undefined || response.headers["age"] !== undefined) return current
  const serverTime = Date.parse(date)
  const now = Date.now()
  if (Number.isNaN(serverTime) || now - sentAt > MAX_SAMPLE_ROUND_TRIP_MS) return current
  return serverTime - now
}

/**
 * A {@link KmsCaller} for a client this package built: see the module comment. `handler` is
 * the client's own request handler (a {@link KmsHttpHandler}).
 */
export class KmsJsonClient implements KmsCaller {
  private route: Promise<Route> | undefined

  constructor(
    private readonly client: KMSClient,
    private readonly handler: KmsTransport,
  ) {}

  private get config(): ResolvedConfig {
    return this.client.config as unknown as ResolvedConfig
  }

  /** Endpoint, signer and settings, resolved on first use; a failure is not kept (the next call tries again). */
  private resolveRoute(): Promise<Route> {
    if (this.route === undefined) {
      const route = this.buildRoute()
      this.route = route
      route.catch(() => {
        if (this.route === route) this.route = undefined
      })
    }
    return this.route
  }

  private async buildRoute(): Promise<Route> {
    const config = this.config
    // A copy, as the SDK's endpoint middleware passes: the resolution may record a configured
    // endpoint URL on the object it is given. KMS's endpoint rules read no operation input
    // (only region, FIPS, dual-stack and a custom endpoint), so one endpoint serves both calls.
    const endpoint = (await getEndpointFromInstructions({}, DecryptCommand, { ...this.client.config })) as unknown as ResolvedEndpoint
    const scheme = endpoint.properties?.authSchemes?.find((s) => s.name === "sigv4")
    const signingRegion = scheme?.signingRegion ?? (await config.region())
    const signingService = scheme?.signingName ?? "kms"
    const signer = await config.signer(scheme ?? { name: "sigv4", signingName: signingService, signingRegion, properties: {} })
    const headers: Record<string, string> = {}
    for (const [name, values] of Object.entries(endpoint.headers ?? {})) headers[name.toLowerCase()] = values.join(",")
    headers["content-type"] = JSON_CONTENT_TYPE
    headers["host"] = endpoint.url.host
    headers["user-agent"] = userAgentOf(await config.defaultUserAgentProvider())
    const skewCorrection = (await config.disableClockSkewCorrection?.()) !== true
    const base = endpoint.url.pathname
    const path = base.endsWith("/") ? base : `${base}/`
    const query: Record<string, string | string[]> = {}
    for (const [k, v] of endpoint.url.searchParams) {
      const prev = query[k]
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
    }
    return { url: endpoint.url, path, query, headers, signer, signingRegion, signingService, skewCorrection }
  }

  private async call(target: "Encrypt" | "Decrypt", input: Record<string, unknown>, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
    const route = await this.resolveRoute()
    const body = JSON.stringify(input)
    const request: SdkHttpRequest = {
      method: "POST",
      protocol: route.url.protocol,
      hostname: route.url.hostname,
      ...(route.url.port !== "" ? { port: Number(route.url.port) } : {}),
      path: route.path,
      // Not copied: the signer works on a clone, and the handler only reads it.
      query: route.query,
      headers: { ...route.headers, "x-amz-target": `TrentService.${target}`, "content-length": String(Buffer.byteLength(body)) },
      body,
    }
    const config = this.config
    const offsetBefore = config.systemClockOffset
    const sentAt = Date.now()
    const signed = await route.signer.sign(request, {
      signingDate: route.skewCorrection ? new Date(sentAt + offsetBefore) : new Date(sentAt),
      signingRegion: route.signingRegion,
      signingService: route.signingService,
    })
    const { response } = await this.handler.handle(signed, signal === undefined ? {} : { abortSignal: signal })
    if (route.skewCorrection) config.systemClockOffset = updatedClockOffset(response, config.systemClockOffset, sentAt)
    if (response.statusCode < 200 || response.statusCode > 299) {
      const err = kmsErrorFromResponse(response)
      // As the SDK's signer does: a request refused for a clock that the answer just corrected
      // is worth sending again.
      const offset = config.systemClockOffset
      if (route.skewCorrection && Math.abs(offset) >= SKEW_RETRY_THRESHOLD_MS && offset !== offsetBefore) {
        ;(err.$metadata as { clockSkewCorrected?: boolean }).clockSkewCorrected = true
      }
      throw err
    }
    const parsed = parseJson(response.body)
    // A Decrypt answer holds the data key (in base64), even one cut short: its bytes are not
    // kept once read, and an unreadable one is not attached to the error as `$response`.
    response.body.fill(0)
    if (parsed === undefined) {
      throw new KMSServiceException({
        name: "InvalidResponse",
        $fault: "server",
        message: `the ${target} answer (HTTP ${response.statusCode}) is not a JSON object`,
        $metadata: metadataOf(response),
      })
    }
    return parsed
  }

  /** Decodes a base64 blob of an answer; a malformed one is an invalid answer, not "no data". */
  private static blob(answer: Record<string, unknown>, field: string): Uint8Array | undefined {
    const v = answer[field]
    if (v === undefined || v === null) return undefined
    const bytes = typeof v === "string" ? decodeStdBase64(v) : null
    if (bytes === null) {
      throw new KMSServiceException({
        name: "InvalidResponse",
        $fault: "server",
        message: `the ${field} of the KMS answer is not base64`,
        $metadata: {},
      })
    }
    return bytes
  }

  async encrypt(input: KmsEncryptInput, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const answer = await this.call(
      "Encrypt",
      { KeyId: input.keyId, Plaintext: encodeStdBase64(input.plaintext), ...(input.context !== undefined ? { EncryptionContext: input.context } : {}) },
      signal,
    )
    return KmsJsonClient.blob(answer, "CiphertextBlob")
  }

  async decrypt(input: KmsDecryptInput, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const answer = await this.call(
      "Decrypt",
      {
        KeyId: input.keyId,
        CiphertextBlob: encodeStdBase64(input.ciphertext),
        ...(input.context !== undefined ? { EncryptionContext: input.context } : {}),
      },
      signal,
    )
    return KmsJsonClient.blob(answer, "Plaintext")
  }
}
