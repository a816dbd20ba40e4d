/**
 * The transport-independent half of the GCP KMS emulator: crypto keys, the checks Cloud KMS
 * makes on Encrypt/Decrypt, and fault injection. The gRPC and REST front ends call
 * {@link GcpKmsState.handle}.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import type { GcpAuthKind, GcpIdentity } from "./gcp-oauth.js"

/** The gRPC status names the emulator answers with. */
export type GcpKmsStatus =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE"
  | "INTERNAL"
  | "FAILED_PRECONDITION"

/** The two RPCs the emulator implements. */
export type GcpKmsMethod = "Encrypt" | "Decrypt"

/** One request as the emulator saw it (no plaintext recorded). */
export interface GcpKmsCall {
  readonly transport: "grpc" | "rest"
  readonly method: GcpKmsMethod
  readonly name: string
  /** Whether an `authorization` header or metadata entry was present. */
  readonly hadAuthorization: boolean
  /** How the request authenticated; absent when it did not. */
  readonly authKind?: GcpAuthKind
  /** The service account behind an issued token or a self-signed JWT. */
  readonly principal?: string
  /** A short hash of the bearer credential, to count distinct tokens. */
  readonly tokenFingerprint?: string
  /** The answer: "OK" or a status name. */
  readonly status: "OK" | GcpKmsStatus
}

/** A request, decoded by a front end. */
export interface GcpKmsRequest {
  readonly method: GcpKmsMethod
  readonly name: string
  /** `plaintext` (Encrypt) or `ciphertext` (Decrypt). */
  readonly data: Uint8Array
  readonly authorization: string | undefined
  readonly transport: "grpc" | "rest"
}

/** The result of a request: the response fields, or an error status. */
export type GcpKmsOutcome =
  | { readonly ok: true; readonly method: "Encrypt"; readonly name: string; readonly ciphertext: Uint8Array }
  | { readonly ok: true; readonly method: "Decrypt"; readonly plaintext: Uint8Array }
  | { readonly ok: false; readonly status: GcpKmsStatus; readonly message: string }

/** Crypto-key name: `projects/P/locations/L/keyRings/R/cryptoKeys/K`. */
const KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/
/** Encrypt also accepts a specific version. */
const VERSION_NAME = /^(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions\/(\d+)$/

const MAGIC = Uint8Array.from([0x0a, 0x24]) // resembles the protobuf framing of real KMS ciphertexts
const IV_LEN = 12
const TAG_LEN = 16
const MAX_PLAINTEXT = 64 * 1024

interface CryptoKey {
  /** Secret per version; index 0 = version 1. */
  readonly versions: Uint8Array[]
  primary: number
}

interface Fault {
  readonly status: GcpKmsStatus
  remaining: number
  readonly method: GcpKmsMethod | undefined
}

/** State shared by both front ends. */
export class GcpKmsState {
  readonly calls: GcpKmsCall[] = []
  private readonly keys = new Map<string, CryptoKey>()
  private readonly forbidden = new Set<string>()
  private readonly faults: Fault[] = []
  private delay = 0

  /** @param identity - who may call: the static token, issued tokens, service-account JWTs */
  constructor(readonly identity: GcpIdentity) {}

  /** The static bearer token accepted. */
  get token(): string {
    return this.identity.staticToken
  }

  /** Creates a crypto key (idempotent). */
  addKey(name: string): void {
    if (!KEY_NAME.test(name)) throw new Error(`not a crypto key name: ${name}`)
    if (!this.keys.has(name)) this.keys.set(name, { versions: [new Uint8Array(randomBytes(32))], primary: 1 })
  }

  /** Adds a version and makes it primary; older ciphertexts still decrypt. */
  rotateKey(name: string): void {
    const key = this.keys.get(name)
    if (!key) throw new Error(`no such key: ${name}`)
    key.versions.push(new Uint8Array(randomBytes(32)))
    key.primary = key.versions.length
  }

  /** Makes every call on `name` fail with PERMISSION_DENIED (an IAM policy without the role). */
  forbid(name: string, forbidden = true): void {
    if (forbidden) this.forbidden.add(name)
    else this.forbidden.delete(name)
  }

  /** The next `times` calls (of `method`, or any) fail with `status`, after authentication. */
  failNext(status: GcpKmsStatus, times = 1, method?: GcpKmsMethod): void {
    this.faults.push({ status, remaining: times, method })
  }

  /** Holds every answer for `ms` milliseconds (0 = none). */
  setDelay(ms: number): void {
    this.delay = ms
  }

  /** Checks and answers one request. */
  async handle(req: GcpKmsRequest): Promise<GcpKmsOutcome> {
    if (this.delay > 0) await new Promise((r) => setTimeout(r, this.delay))
    const auth = this.identity.authenticate(req.authorization)
    const out = auth.ok ? this.decide(req) : fail(auth.status, auth.message)
    this.calls.push({
      transport: req.transport,
      method: req.method,
      name: req.name,
      hadAuthorization: req.authorization !== undefined,
      status: out.ok ? "OK" : out.status,
      ...(auth.ok ? { authKind: auth.kind, tokenFingerprint: auth.fingerprint } : {}),
      ...(auth.ok && auth.principal !== undefined ? { principal: auth.principal } : {}),
    })
    return out
  }

  /** Answers an authenticated request. */
  private decide(req: GcpKmsRequest): GcpKmsOutcome {
    const fault = this.faults.find((f) => f.remaining > 0 && (f.method === undefined || f.method === req.method))
    if (fault) {
      fault.remaining--
      return fail(fault.status, fault.status === "RESOURCE_EXHAUSTED" ? "Quota exceeded for quota metric 'Cryptographic requests'." : `Injected ${fault.status}.`)
    }
    let keyName = req.name
    let version: number | undefined
    const vm = req.method === "Encrypt" ? VERSION_NAME.exec(req.name) : null
    if (vm) {
      keyName = vm[1]!
      version = Number(vm[2])
    } else if (!KEY_NAME.test(req.name)) {
      return fail("INVALID_ARGUMENT", `Resource name [${req.name}] does not match any known type.`)
    }
    const key = this.keys.get(keyName)
    if (key === undefined) return fail("NOT_FOUND", `${keyName} not found.`)
    if (this.forbidden.has(keyName)) {
      const perm = req.method === "Encrypt" ? "useToEncrypt" : "useToDecrypt"
      return fail("PERMISSION_DENIED", `Permission 'cloudkms.cryptoKeyVersions.${perm}' denied on resource '${keyName}' (or it may not exist).`)
    }
    return req.method === "Encrypt" ? this.encrypt(keyName, key, version ?? key.primary, req.data) : this.decrypt(keyName, key, req.data)
  }

  private encrypt(name: string, key: CryptoKey, version: number, plaintext: Uint8Array): GcpKmsOutcome {
    if (plaintext.length === 0) return fail("INVALID_ARGUMENT", "Plaintext is required.")
    if (plaintext.length > MAX_PLAINTEXT) return fail("INVALID_ARGUMENT", "Plaintext exceeds the maximum size of 65536 bytes.")
    const secret = key.versions[version - 1]
    if (secret === undefined) return fail("NOT_FOUND", `${name}/cryptoKeyVersions/${version} not found.`)
    const iv = randomBytes(IV_LEN)
    const header = Buffer.concat([MAGIC, u32(version)])
    const c = createCipheriv("aes-256-gcm", secret, iv, { authTagLength: TAG_LEN })
    // The key name and version are authenticated: a ciphertext only opens under its own key.
    c.setAAD(Buffer.concat([header, Buffer.from(name)]))
    const body = Buffer.concat([c.update(plaintext), c.final()])
    return { ok: true, method: "Encrypt", name: `${name}/cryptoKeyVersions/${version}`, ciphertext: new Uint8Array(Buffer.concat([header, iv, body, c.getAuthTag()])) }
  }

  private decrypt(name: string, key: CryptoKey, ciphertext: Uint8Array): GcpKmsOutcome {
    const invalid = fail("INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.")
    const headLen = MAGIC.length + 4
    if (ciphertext.length < headLen + IV_LEN + TAG_LEN || ciphertext[0] !== MAGIC[0] || ciphertext[1] !== MAGIC[1]) return invalid
    const buf = Buffer.from(ciphertext)
    const version = buf.readUInt32BE(MAGIC.length)
    const secret = key.versions[version - 1]
    if (secret === undefined) return invalid
    try {
      const d = createDecipheriv("aes-256-gcm", secret, buf.subarray(headLen, headLen + IV_LEN), { authTagLength: TAG_LEN })
      d.setAAD(Buffer.concat([buf.subarray(0, headLen), Buffer.from(name)]))
      d.setAuthTag(buf.subarray(buf.length - TAG_LEN))
      const pt = Buffer.concat([d.update(buf.subarray(headLen + IV_LEN, buf.length - TAG_LEN)), d.final()])
      return { ok: true, method: "Decrypt", plaintext: new Uint8Array(pt) }
    } catch {
      return invalid
    }
  }
}

function fail(status: GcpKmsStatus, message: string): GcpKmsOutcome {
  return { ok: false, status, message }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

