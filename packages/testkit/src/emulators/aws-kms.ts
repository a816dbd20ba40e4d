/**
 * A loopback AWS KMS + STS emulator for tests that drive the real AWS SDK.
 *
 * It checks what AWS checks: SigV4 signatures recomputed with the known secret keys (wrong
 * secret → `InvalidSignatureException`), session tokens of temporary credentials, key
 * policies (`AccessDeniedException`), key existence (`NotFoundException`) and the encryption
 * context, which is bound to the ciphertext as AES-GCM associated data (mismatch →
 * `InvalidCiphertextException`). Faults are injectable: throttling or any error N times,
 * per-call latency, and `stop()` for a service that is down.
 *
 * KMS speaks the JSON 1.1 protocol (`X-Amz-Target: TrentService.Encrypt`); STS `AssumeRole`
 * speaks the query protocol with XML responses. Both are served on the same port, so the
 * same URL is the KMS and the STS endpoint.
 *
 * @example
 * ```ts
 * const aws = await startAwsKmsEmulator()
 * const kms = new KMSClient({ endpoint: aws.url, region: "us-east-1", credentials: TEST_AWS_CREDENTIALS })
 * // ...
 * await aws.stop()
 * ```
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { isSigV4Failure, parseAuthorization, verifySigV4, type SigV4Failure } from "./aws-sigv4.js"
import { sameText } from "./same-text.js"
import {
  AwsEmulatorError,
  IdentityStore,
  TEST_AWS_ACCOUNT,
  TEST_AWS_CREDENTIALS,
  assumeRoleResponseXml,
  parseQueryBody,
  stsErrorXml,
  type AwsAccessKey,
  type EmulatedRole,
  type Principal,
} from "./aws-sts.js"

export { TEST_AWS_CREDENTIALS, TEST_AWS_ACCOUNT, AwsEmulatorError }
export type { AwsAccessKey, EmulatedRole }

/** The default key of an emulator started without `keys`. */
export const TEST_KMS_KEY_ARN = `arn:aws:kms:us-east-1:${TEST_AWS_ACCOUNT}:key/0e4b0f5c-5a6e-4c1c-9d3e-7a4c1f2b8e01`

/** A symmetric KMS key of the emulator. */
export interface EmulatedKmsKey {
  /** Full key ARN, `arn:aws:kms:<region>:<account>:key/<id>`. */
  readonly arn: string
  /** Alias names (`alias/sops`) that resolve to this key in its region. */
  readonly aliases?: readonly string[]
  /**
   * Key policy: the principals (user access key ids, or role ARNs for assumed-role sessions)
   * allowed to use the key. Default: everyone the emulator knows.
   */
  readonly allow?: readonly string[]
}

/** The operations the emulator serves. */
export type AwsEmulatorOperation = "Encrypt" | "Decrypt" | "AssumeRole"

/** One request the emulator answered (for assertions; never holds key material). */
export interface AwsEmulatorCall {
  readonly service: "kms" | "sts" | "unknown"
  readonly operation: string
  /** Access key id that signed the request ("" when unsigned). */
  readonly accessKeyId: string
  /** Signing region from the credential scope. */
  readonly region: string
  /** Whether the request carried `X-Amz-Security-Token`. */
  readonly sessionToken: boolean
  readonly keyId?: string
  readonly encryptionContext?: Readonly<Record<string, string>>
  readonly roleArn?: string
  readonly roleSessionName?: string
  /** `"ok"` or the error code returned. */
  readonly result: string
}

/** Options of {@link startAwsKmsEmulator}. */
export interface AwsKmsEmulatorOptions {
  /** IAM users (default: {@link TEST_AWS_CREDENTIALS}). */
  readonly users?: readonly AwsAccessKey[]
  /** KMS keys (default: one key, {@link TEST_KMS_KEY_ARN}). */
  readonly keys?: readonly EmulatedKmsKey[]
  /** Roles that `AssumeRole` can issue credentials for. */
  readonly roles?: readonly EmulatedRole[]
  /** Delay before every response, in ms (default 0). */
  readonly latencyMs?: number
  /** Server clock (signature freshness, credential expiry, and the `Date` of every answer, as AWS sends its own). */
  readonly now?: () => Date
}

/** A running emulator. */
export interface AwsKmsEmulator {
  /** `http://127.0.0.1:<port>`: the KMS and the STS endpoint. */
  readonly url: string
  /** Every request answered so far, in order. */
  readonly calls: readonly AwsEmulatorCall[]
  /**
   * The most requests that were being served at the same time (received, not yet answered),
   * since the start or the last {@link AwsKmsEmulator.resetPeakInFlight}: how many calls a
   * client really had on the wire, whatever its own limits say.
   */
  readonly peakInFlight: number
  /** Starts counting {@link AwsKmsEmulator.peakInFlight} again from the requests now in flight. */
  resetPeakInFlight(): void
  /** The next `n` matching calls fail with the service's throttling error. */
  throttle(n: number, operation?: AwsEmulatorOperation): void
  /** The next `n` matching calls fail with the given error (e.g. `KMSInternalException`, 500). */
  fail(n: number, error: { readonly code: string; readonly status: number; readonly message?: string }, operation?: AwsEmulatorOperation): void
  /** Sets the delay before every response. */
  setLatency(ms: number): void
  /** Adds an IAM user at run time. */
  addUser(user: AwsAccessKey): void
  /** Closes the port and every open connection; later calls get connection refused. */
  stop(): Promise<void>
}

interface Fault {
  readonly operation: AwsEmulatorOperation | undefined
  remaining: number
  readonly make: (service: "kms" | "sts") => AwsEmulatorError
}

interface KeyRecord {
  readonly arn: string
  readonly region: string
  readonly keyId: string
  readonly material: Buffer
  readonly allow: readonly string[] | undefined
}

const MAX_BODY = 1 << 20
const BLOB_VERSION = 1
const KMS_ARN = /^arn:aws[\w-]*:kms:([^:]+):(\d+):key\/(.+)$/

function sleep(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t)
      resolve()
    }, ms)
    timers.add(t)
  })
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) reject(new AwsEmulatorError("RequestEntityTooLarge", 413, "request body too large"))
      else chunks.push(c)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })
}

/** The associated data binding a ciphertext to its encryption context: order-independent. */
function contextAad(ctx: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(ctx).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return Buffer.from(JSON.stringify(entries), "utf8")
}

function authFailure(service: "kms" | "sts", f: SigV4Failure): AwsEmulatorError {
  if (service === "kms") {
    switch (f.kind) {
      case "missing":
        return new AwsEmulatorError("MissingAuthenticationTokenException", 400, f.message)
      case "incomplete":
        return new AwsEmulatorError("IncompleteSignatureException", 400, f.message)
      default:
        return new AwsEmulatorError("InvalidSignatureException", 400, f.message)
    }
  }
  switch (f.kind) {
    case "missing":
      return new AwsEmulatorError("MissingAuthenticationToken", 403, f.message)
    case "incomplete":
      return new AwsEmulatorError("IncompleteSignature", 400, f.message)
    default:
      return new AwsEmulatorError("SignatureDoesNotMatch", 403, f.message)
  }
}

function unknownToken(service: "kms" | "sts"): AwsEmulatorError {
  const message = "The security token included in the request is invalid."
  return service === "kms"
    ? new AwsEmulatorError("UnrecognizedClientException", 400, message)
    : new AwsEmulatorError("InvalidClientTokenId", 403, message)
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null
}

function stringMap(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {}
  const r = asRecord(v)
  if (r === null || Object.values(r).some((x) => typeof x !== "string")) {
    throw new AwsEmulatorError("SerializationException", 400, "EncryptionContext must be a map of strings")
  }
  return Object.fromEntries(Object.entries(r)) as Record<string, string>
}

function base64Field(body: Record<string, unknown>, name: string): Buffer {
  const v = body[name]
  if (typeof v !== "string" || v === "") {
    throw new AwsEmulatorError("ValidationException", 400, `1 validation error detected: Value at '${name.charAt(0).toLowerCase() + name.slice(1)}' failed to satisfy constraint: Member must not be null`)
  }
  return Buffer.from(v, "base64")
}

/**
 * Starts the emulator on 127.0.0.1 with an ephemeral port.
 * @param options - users, keys, roles, latency and clock
 */
export async function startAwsKmsEmulator(options: AwsKmsEmulatorOptions = {}): Promise<AwsKmsEmulator> {
  const now = options.now ?? (() => new Date())
  const users = options.users ?? [TEST_AWS_CREDENTIALS]
  const identities = new IdentityStore(users, options.roles ?? [], now)
  const keys = new Map<string, KeyRecord>()
  const aliases = new Map<string, KeyRecord>()
  for (const k of options.keys ?? [{ arn: TEST_KMS_KEY_ARN }]) {
    const m = KMS_ARN.exec(k.arn)
    if (m === null) throw new Error(`emulated key ${k.arn} is not a KMS key ARN`)
    const rec: KeyRecord = { arn: k.arn, region: m[1]!, keyId: m[3]!, material: randomBytes(32), allow: k.allow }
    keys.set(k.arn, rec)
    for (const a of k.aliases ?? []) aliases.set(`${rec.region}/${a.startsWith("alias/") ? a : `alias/${a}`}`, rec)
  }
  const calls: AwsEmulatorCall[] = []
  const faults: Fault[] = []
  const timers = new Set<NodeJS.Timeout>()
  let latencyMs = options.latencyMs ?? 0
  let inFlight = 0
  let peakInFlight = 0

  /** Resolves a KeyId (key ARN, key id, alias ARN or alias name) in `region`. */
  function resolveKey(keyId: string, region: string): KeyRecord {
    const aliasArn = /^arn:aws[\w-]*:kms:([^:]+):\d+:(alias\/.+)$/.exec(keyId)
    let rec: KeyRecord | undefined
    if (aliasArn !== null) rec = aliasArn[1] === region ? aliases.get(`${region}/${aliasArn[2]}`) : undefined
    else if (keyId.startsWith("alias/")) rec = aliases.get(`${region}/${keyId}`)
    else if (keyId.startsWith("arn:")) rec = keys.get(keyId)
    else rec = [...keys.values()].find((k) => k.keyId === keyId && k.region === region)
    if (rec === undefined) {
      const what = aliasArn !== null || keyId.startsWith("alias/") ? `Alias ${keyId} is not found.` : `Key '${keyId}' does not exist`
      throw new AwsEmulatorError("NotFoundException", 400, what)
    }
    if (rec.region !== region) throw new AwsEmulatorError("NotFoundException", 400, `Invalid arn ${rec.region}`)
    return rec
  }

  function authorize(rec: KeyRecord, who: Principal, action: string): void {
    if (rec.allow !== undefined && !rec.allow.includes(who.name)) {
      throw new AwsEmulatorError(
        "AccessDeniedException",
        400,
        `User: ${who.arn} is not authorized to perform: kms:${action} on resource: ${rec.arn} because no resource-based policy allows the kms:${action} action`,
      )
    }
  }

  function kmsEncrypt(body: Record<string, unknown>, region: string, who: Principal, call: Record<string, unknown>): unknown {
    const keyId = body["KeyId"]
    if (typeof keyId !== "string" || keyId === "") {
      throw new AwsEmulatorError("ValidationException", 400, "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null")
    }
    const plaintext = base64Field(body, "Plaintext")
    if (plaintext.length > 4096) throw new AwsEmulatorError("ValidationException", 400, "Plaintext must be at most 4096 bytes")
    const ctx = stringMap(body["EncryptionContext"])
    call["keyId"] = keyId
    call["encryptionContext"] = ctx
    const rec = resolveKey(keyId, region)
    authorize(rec, who, "Encrypt")
    const iv = randomBytes(12)
    const cipher = createCipheriv("aes-256-gcm", rec.material, iv)
    cipher.setAAD(contextAad(ctx))
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
    const arn = Buffer.from(rec.arn, "utf8")
    const head = Buffer.alloc(3)
    head.writeUInt8(BLOB_VERSION, 0)
    head.writeUInt16BE(arn.length, 1)
    const blob = Buffer.concat([head, arn, iv, ct])
    return { CiphertextBlob: blob.toString("base64"), KeyId: rec.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" }
  }

  function kmsDecrypt(body: Record<string, unknown>, region: string, who: Principal, call: Record<string, unknown>): unknown {
    const blob = base64Field(body, "CiphertextBlob")
    const ctx = stringMap(body["EncryptionContext"])
    const keyId = body["KeyId"]
    if (typeof keyId === "string") call["keyId"] = keyId
    call["encryptionContext"] = ctx
    const invalid = (): AwsEmulatorError => new AwsEmulatorError("InvalidCiphertextException", 400, "")
    if (blob.length < 3 || blob[0] !== BLOB_VERSION) throw invalid()
    const arnLen = blob.readUInt16BE(1)
    if (blob.length < 3 + arnLen + 12 + 16) throw invalid()
    const blobArn = blob.subarray(3, 3 + arnLen).toString("utf8")
    const rec = keys.get(blobArn)
    if (rec === undefined || rec.region !== region) throw invalid()
    if (typeof keyId === "string" && keyId !== "") {
      const requested = resolveKey(keyId, region)
      if (requested !== rec) {
        throw new AwsEmulatorError("IncorrectKeyException", 400, "The key ID in the request does not identify a CMK that can perform this operation.")
      }
    }
    authorize(rec, who, "Decrypt")
    const iv = blob.subarray(3 + arnLen, 3 + arnLen + 12)
    const rest = blob.subarray(3 + arnLen + 12)
    const decipher = createDecipheriv("aes-256-gcm", rec.material, iv, { authTagLength: 16 })
    decipher.setAAD(contextAad(ctx))
    decipher.setAuthTag(rest.subarray(rest.length - 16))
    let plaintext: Buffer
    try {
      plaintext = Buffer.concat([decipher.update(rest.subarray(0, rest.length - 16)), decipher.final()])
    } catch {
      throw invalid()
    }
    return { KeyId: rec.arn, Plaintext: plaintext.toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" }
  }

  function takeFault(operation: string, service: "kms" | "sts"): AwsEmulatorError | null {
    const f = faults.find((x) => x.remaining > 0 && (x.operation === undefined || x.operation === operation))
    if (f === undefined) return null
    f.remaining--
    return f.make(service)
  }

  function authenticate(req: IncomingMessage, body: Buffer, service: "kms" | "sts", call: Record<string, unknown>): { who: Principal; region: string } {
    const claim = parseAuthorization(req.headers)
    if (isSigV4Failure(claim)) throw authFailure(service, claim)
    call["accessKeyId"] = claim.accessKeyId
    call["region"] = claim.region
    const who = identities.lookup(claim.accessKeyId)
    if (who === null) throw unknownToken(service)
    const failure = verifySigV4({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body }, claim, who.secretAccessKey, now())
    if (failure !== null) throw authFailure(service, failure)
    const token = req.headers["x-amz-security-token"]
    // A session token is required exactly when the credentials were issued with one.
    const tokenOk = who.sessionToken === undefined ? token === undefined : sameText(token, who.sessionToken)
    if (!tokenOk) throw unknownToken(service)
    if (claim.service !== service) {
      throw authFailure(service, { kind: "mismatch", message: `Credential should be scoped to correct service: '${service}'.` })
    }
    return { who, region: claim.region }
  }

  /**
   * Sends an answer as AWS front ends do: with a `Content-Length` (not chunked) and the
   * server's own `Date`.
   */
  function answer(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, text: string): void {
    const body = Buffer.from(text, "utf8")
    res.writeHead(status, { ...headers, "content-length": String(body.length), date: now().toUTCString() })
    res.end(body)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID()
    const call: Record<string, unknown> = {
      service: "unknown",
      operation: "",
      accessKeyId: "",
      region: "",
      sessionToken: typeof req.headers["x-amz-security-token"] === "string",
      result: "ok",
    }
    let service: "kms" | "sts" = "kms"
    peakInFlight = Math.max(peakInFlight, ++inFlight)
    res.once("close", () => inFlight--)
    try {
      const body = await readBody(req)
      if (latencyMs > 0) await sleep(latencyMs, timers)
      if (res.destroyed) return
      const target = req.headers["x-amz-target"]
      if (typeof target === "string") {
        call["service"] = "kms"
        const operation = target.startsWith("TrentService.") ? target.slice("TrentService.".length) : target
        call["operation"] = operation
        const { who, region } = authenticate(req, body, "kms", call)
        const fault = takeFault(operation, "kms")
        if (fault !== null) throw fault
        let parsed: Record<string, unknown> | null
        try {
          parsed = asRecord(JSON.parse(body.toString("utf8") || "{}"))
        } catch {
          parsed = null
        }
        if (parsed === null) throw new AwsEmulatorError("SerializationException", 400, "request body is not a JSON object")
        let out: unknown
        if (operation === "Encrypt") out = kmsEncrypt(parsed, region, who, call)
        else if (operation === "Decrypt") out = kmsDecrypt(parsed, region, who, call)
        else throw new AwsEmulatorError("UnknownOperationException", 400, `operation ${operation} is not emulated`)
        answer(res, 200, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId }, JSON.stringify(out))
        return
      }
      service = "sts"
      call["service"] = "sts"
      const params = parseQueryBody(body)
      const action = params.get("Action") ?? ""
      call["operation"] = action
      const { who } = authenticate(req, body, "sts", call)
      const fault = takeFault(action, "sts")
      if (fault !== null) throw fault
      if (action !== "AssumeRole") throw new AwsEmulatorError("InvalidAction", 400, `Could not find operation ${action} for version ${params.get("Version") ?? ""}`)
      const roleArn = params.get("RoleArn") ?? ""
      const sessionName = params.get("RoleSessionName") ?? ""
      call["roleArn"] = roleArn
      call["roleSessionName"] = sessionName
      const { principal } = identities.assumeRole(who, roleArn, sessionName)
      answer(res, 200, { "content-type": "text/xml", "x-amzn-requestid": requestId }, assumeRoleResponseXml(principal, sessionName, requestId))
    } catch (err) {
      const e = err instanceof AwsEmulatorError ? err : new AwsEmulatorError(service === "kms" ? "KMSInternalException" : "InternalFailure", 500, "emulator failure")
      call["result"] = e.code
      if (res.destroyed) return
      if (service === "kms") {
        answer(
          res,
          e.status,
          { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId, "x-amzn-errortype": e.code },
          JSON.stringify({ __type: e.code, message: e.message }),
        )
      } else {
        answer(res, e.status, { "content-type": "text/xml", "x-amzn-requestid": requestId }, stsErrorXml(e, requestId))
      }
    } finally {
      calls.push(call as unknown as AwsEmulatorCall)
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  let stopped: Promise<void> | null = null

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    get peakInFlight() {
      return peakInFlight
    },
    resetPeakInFlight() {
      peakInFlight = inFlight
    },
    throttle(n, operation) {
      faults.push({
        operation,
        remaining: n,
        make: (svc) =>
          svc === "kms"
            ? new AwsEmulatorError("ThrottlingException", 400, "Rate exceeded")
            : new AwsEmulatorError("Throttling", 400, "Rate exceeded"),
      })
    },
    fail(n, error, operation) {
      faults.push({ operation, remaining: n, make: () => new AwsEmulatorError(error.code, error.status, error.message ?? "injected failure") })
    },
    setLatency(ms) {
      latencyMs = ms
    },
    addUser(user) {
      identities.addUser(user)
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        timers.clear()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return stopped
    },
  }
}
