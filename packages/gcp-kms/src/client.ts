/**
 * Creates the Cloud KMS client from {@link GcpKmsKeyServiceOptions}. `@google-cloud/kms` (and
 * gRPC) is imported here, on first use, so importing this package stays cheap.
 * @module
 */
import type { KeyManagementServiceClient } from "@google-cloud/kms"
import { SopsError } from "@sops-ts/core"
import { bearerAuthClient } from "./auth.js"
import type { GcpKmsKeyServiceOptions, KmsClientOptions } from "./options.js"

const SERVICE = "google.cloud.kms.v1.KeyManagementService"
const DEFAULT_UNIVERSE = "googleapis.com"

/**
 * google-gax retries Encrypt/Decrypt on its own for up to ten minutes; the key service has its
 * own bounded, abortable policy, so the built-in one is switched off.
 */
const NO_GAX_RETRY = {
  interfaces: {
    [SERVICE]: {
      retry_codes: { sops_ts_none: [] },
      methods: {
        Encrypt: { retry_codes_name: "sops_ts_none" },
        Decrypt: { retry_codes_name: "sops_ts_none" },
      },
    },
  },
}

/** An endpoint split into what google-gax takes. */
export interface ParsedEndpoint {
  readonly host: string
  readonly port: number
  readonly protocol: "https" | "http"
}

/**
 * Parses an endpoint override: `host`, `host:port` or `http(s)://host[:port][/]`.
 * @throws SopsError `ERR_INVALID_ARGUMENT` for another shape, or `http://` with gRPC
 */
export function parseEndpoint(endpoint: string, transport: "grpc" | "rest"): ParsedEndpoint {
  let protocol: "https" | "http" = "https"
  let rest = endpoint.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(rest)
  if (scheme) {
    const s = scheme[1]!.toLowerCase()
    if (s !== "https" && s !== "http") throw badEndpoint(endpoint, "the scheme must be https or http")
    protocol = s
    rest = rest.slice(scheme[0].length).replace(/\/+$/, "")
    if (rest.includes("/")) throw badEndpoint(endpoint, "it must not have a path")
  }
  if (protocol === "http" && transport === "grpc") {
    throw badEndpoint(endpoint, "plaintext gRPC cannot carry credentials; use TLS (grpcRootCerts) or the REST transport")
  }
  const m = /^(.+?)(?::(\d{1,5}))?$/.exec(rest)
  if (m === null || m[1]!.includes("/") || (m[1]!.includes(":") && !m[1]!.startsWith("["))) {
    throw badEndpoint(endpoint, "expected host, host:port or https://host[:port]")
  }
  const port = m[2] === undefined ? (protocol === "http" ? 80 : 443) : Number(m[2])
  if (port < 1 || port > 65535) throw badEndpoint(endpoint, "the port is out of range")
  return { host: m[1]!, port, protocol }
}

function badEndpoint(endpoint: string, why: string): SopsError {
  return new SopsError("ERR_INVALID_ARGUMENT", `invalid GCP KMS endpoint ${JSON.stringify(endpoint)}: ${why}`)
}

function parseCredentials(creds: NonNullable<GcpKmsKeyServiceOptions["credentials"]>): KmsClientOptions["credentials"] {
  if (typeof creds !== "string") return creds as KmsClientOptions["credentials"]
  try {
    const parsed: unknown = JSON.parse(creds)
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as KmsClientOptions["credentials"]
  } catch {
    // reported below without echoing the text, which may hold a private key
  }
  throw new SopsError(
    "ERR_INVALID_ARGUMENT",
    "GCP credentials (GOOGLE_CREDENTIALS) are neither the path of an existing file nor a JSON object",
  )
}

/**
 * Creates a Cloud KMS client for the configured transport, endpoint and credentials.
 * @throws SopsError `ERR_INVALID_ARGUMENT` for a bad endpoint or credentials
 */
export async function createKmsClient(options: GcpKmsKeyServiceOptions): Promise<KeyManagementServiceClient> {
  const transport = options.transport ?? "grpc"
  const universeDomain = options.universeDomain ?? DEFAULT_UNIVERSE
  const clientOptions: { -readonly [K in keyof KmsClientOptions]: KmsClientOptions[K] } & Record<string, unknown> = {
    clientConfig: NO_GAX_RETRY,
    fallback: transport === "rest",
  }
  if (options.universeDomain !== undefined) clientOptions.universeDomain = options.universeDomain
  if (options.apiEndpoint !== undefined && options.apiEndpoint !== "") {
    const ep = parseEndpoint(options.apiEndpoint, transport)
    clientOptions.apiEndpoint = ep.host
    clientOptions.port = ep.port
    if (transport === "rest") clientOptions["protocol"] = ep.protocol
  }
  if (options.accessToken !== undefined) {
    clientOptions.authClient = bearerAuthClient(options.accessToken, universeDomain) as unknown as KmsClientOptions["authClient"]
  } else if (options.credentials !== undefined) {
    clientOptions.credentials = parseCredentials(options.credentials)
  }

  let client: KeyManagementServiceClient | undefined
  if (transport === "grpc" && options.grpcRootCerts !== undefined) {
    clientOptions.sslCreds = await customTlsCredentials(options.grpcRootCerts, () => {
      if (client === undefined) throw new Error("the KMS client is not ready")
      return client.auth
    })
  }
  const { KeyManagementServiceClient: Client } = await import("@google-cloud/kms")
  client = new Client(clientOptions)
  return client
}

type HeaderSource = { getRequestHeaders(url?: string): Promise<Headers | Record<string, string>> }

/**
 * TLS channel credentials trusting `rootCerts`, combined with call credentials that ask the
 * client's own auth for its headers (google-gax skips its auth when `sslCreds` is given).
 */
async function customTlsCredentials(rootCerts: string | Uint8Array, auth: () => HeaderSource): Promise<KmsClientOptions["sslCreds"]> {
  const grpc = await import("@grpc/grpc-js")
  const ca = typeof rootCerts === "string" ? Buffer.from(rootCerts) : Buffer.from(rootCerts.buffer, rootCerts.byteOffset, rootCerts.byteLength)
  const callCreds = grpc.credentials.createFromMetadataGenerator((params, callback) => {
    Promise.resolve()
      .then(() => auth().getRequestHeaders(params.service_url))
      .then((headers) => {
        const md = new grpc.Metadata()
        const entries = headers instanceof Headers ? [...headers] : Object.entries(headers)
        for (const [k, v] of entries) md.set(k, v)
        callback(null, md)
      })
      .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))))
  })
  return grpc.credentials.combineChannelCredentials(grpc.credentials.createSsl(ca), callCreds) as unknown as KmsClientOptions["sslCreds"]
}
