/**
 * Options of the GCP KMS key service.
 * @module
 */
import type { KeyManagementServiceClient } from "@google-cloud/kms"

/** The constructor options of the Cloud KMS client (from `google-gax`). */
export type KmsClientOptions = NonNullable<ConstructorParameters<typeof KeyManagementServiceClient>[0]>

/**
 * Credentials the Google auth library understands: a service-account key, an
 * `authorized_user` file, an `external_account` (workload identity federation) config, as a
 * parsed object or as JSON text.
 */
export type GcpCredentials = NonNullable<KmsClientOptions["credentials"]> | Readonly<Record<string, unknown>> | string

/** A static OAuth 2.0 access token, or a function that returns a current one. */
export type GcpAccessToken = string | (() => string | Promise<string>)

/** Options of {@link gcpKmsKeyService}. Nothing is read from the environment. */
export interface GcpKmsKeyServiceOptions {
  /**
   * A ready client. When given it is used as is (its own credentials, endpoint, transport) and
   * `credentials`, `accessToken`, `apiEndpoint`, `universeDomain`, `transport` and
   * `grpcRootCerts` are ignored. It is not closed by {@link GcpKmsKeyService.close}.
   */
  readonly client?: KeyManagementServiceClient
  /** Explicit credentials (sops: `GOOGLE_CREDENTIALS`). Ignored when `accessToken` is set. */
  readonly credentials?: GcpCredentials
  /** A bearer token sent as is (sops: `GOOGLE_OAUTH_ACCESS_TOKEN`); never refreshed. */
  readonly accessToken?: GcpAccessToken
  /**
   * Endpoint override (sops: `SOPS_GCP_KMS_ENDPOINT`): `host`, `host:port`, or for REST a URL
   * `https://host[:port]` (`http://` is accepted for REST only, e.g. a local emulator).
   * Without credentials or a token, application default credentials are used.
   */
  readonly apiEndpoint?: string
  /** Universe domain for sovereign clouds (sops: `SOPS_GCP_KMS_UNIVERSE_DOMAIN`). */
  readonly universeDomain?: string
  /** `"grpc"` (default, as sops) or `"rest"` (HTTP/1.1 JSON, sops: `SOPS_GCP_KMS_CLIENT_TYPE=rest`). */
  readonly transport?: "grpc" | "rest"
  /**
   * PEM root certificate(s) that sign a private gRPC endpoint's TLS certificate (instead of
   * the system roots). Needs `@grpc/grpc-js`, loaded only when this is set.
   */
  readonly grpcRootCerts?: string | Uint8Array
  /** Time limit of one attempt, in milliseconds (default 30 000). */
  readonly timeoutMs?: number
  /** Attempts for throttled or unavailable calls, first included (default 3). */
  readonly maxAttempts?: number
  /** First retry delay in milliseconds, doubled on each retry (default 250). */
  readonly retryDelayMs?: number
}
