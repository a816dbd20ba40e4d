/**
 * Builds and caches the SDK clients a key needs: one KMS client per region, profile and
 * identity, an STS client per region and profile for keys with a `role`, and the temporary
 * credentials of each assumed role until shortly before they expire.
 * @module
 */
import { KMSClient, type KMSClientConfig } from "@aws-sdk/client-kms"
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts"
import type { KmsMasterKey } from "@sops-ts/core"
import { KmsHttpHandler } from "./http-handler.js"
import { KmsJsonClient, type KmsCaller } from "./kms-json-client.js"
import type { RetryPolicy } from "./retry.js"
import { withRetries } from "./retry.js"

/** Credentials as the SDK accepts them: static keys or a provider function. */
export type AwsCredentials = NonNullable<KMSClientConfig["credentials"]>

/** What {@link ClientPool} needs from the service options. */
export interface ClientPoolOptions {
  readonly credentials?: AwsCredentials
  readonly endpoint?: string
  readonly stsEndpoint?: string
  readonly sessionName: () => string
  readonly retry: RetryPolicy
  /**
   * Upper bound of one HTTP request of a KMS client. Calls made without a caller's signal do
   * not pass one to the SDK (see `run` in key-service.ts), so this is what ends a request the
   * service's deadline gave up on.
   */
  readonly requestTimeoutMs?: number
  /** Connections a KMS client keeps per endpoint: the calls it can have on the wire at once. */
  readonly maxSockets: number
}

/** The client settings KMS and STS clients share. */
interface BaseConfig {
  readonly region: string
  readonly maxAttempts: number
  readonly profile?: string
  readonly endpoint?: string
}

interface TemporaryCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
  readonly expiration?: Date
}

/** Refresh assumed-role credentials this long before AWS says they expire. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000

/** Thrown when AssumeRole succeeded but returned no usable credentials. */
export class IncompleteAssumeRoleResponse extends Error {
  override readonly name = "IncompleteAssumeRoleResponse"
}

/** Caches SDK clients and assumed-role credentials for one key service. */
export class ClientPool {
  private readonly kms = new Map<string, { client: KMSClient; caller: KmsCaller; identity: string }>()
  private readonly sts = new Map<string, STSClient>()
  private readonly roles = new Map<string, TemporaryCredentials>()
  /** Clients replaced after a role refresh; an operation may still be using one. */
  private readonly retired: KMSClient[] = []

  constructor(private readonly options: ClientPoolOptions) {}

  private baseConfig(region: string, profile: string, endpoint: string | undefined): BaseConfig {
    return {
      region,
      // Retries are ours (bounded, abortable, injectable delays); the SDK makes one attempt.
      maxAttempts: 1,
      ...(profile !== "" ? { profile } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
    }
  }

  /** Temporary credentials for `key.role`, assumed with the key's profile or the given credentials. */
  private async assumeRole(region: string, key: KmsMasterKey, signal: AbortSignal): Promise<TemporaryCredentials> {
    const cacheKey = JSON.stringify([region, key.awsProfile, key.role])
    const cached = this.roles.get(cacheKey)
    if (cached !== undefined && (cached.expiration === undefined || cached.expiration.getTime() - REFRESH_MARGIN_MS > Date.now())) {
      return cached
    }
    const stsKey = JSON.stringify([region, key.awsProfile])
    let sts = this.sts.get(stsKey)
    if (sts === undefined) {
      sts = new STSClient({
        ...this.baseConfig(region, key.awsProfile, this.options.stsEndpoint),
        ...(this.options.credentials !== undefined ? { credentials: this.options.credentials } : {}),
      })
      this.sts.set(stsKey, sts)
    }
    const client = sts
    const out = await withRetries(
      (s) =>
        client.send(new AssumeRoleCommand({ RoleArn: key.role, RoleSessionName: this.options.sessionName() }), {
          abortSignal: s,
        }),
      this.options.retry,
      signal,
    )
    const c = out.Credentials
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) {
      throw new IncompleteAssumeRoleResponse("AssumeRole returned no credentials")
    }
    const creds: TemporaryCredentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      ...(c.Expiration !== undefined ? { expiration: c.Expiration } : {}),
    }
    this.roles.set(cacheKey, creds)
    return creds
  }

  /**
   * What sends KMS calls for `key` in `region`: a {@link KmsJsonClient} on a cached SDK client.
   * Assumes `key.role` first when set (as sops does), and uses `key.awsProfile` for the SDK's
   * shared-config loading when non-empty.
   */
  async kmsCaller(region: string, key: KmsMasterKey, signal: AbortSignal): Promise<KmsCaller> {
    const roleCreds = key.role !== "" ? await this.assumeRole(region, key, signal) : undefined
    const cacheKey = JSON.stringify([region, key.awsProfile, key.role])
    const identity = roleCreds?.accessKeyId ?? ""
    const cached = this.kms.get(cacheKey)
    if (cached !== undefined && cached.identity === identity) return cached.caller
    if (cached !== undefined) this.retired.push(cached.client)
    const credentials = roleCreds ?? this.options.credentials
    // Our own transport (see http-handler.ts). Its agents get `maxSockets`: the SDK's handler
    // would cap each endpoint at 50 connections, and calls beyond the cap would wait in its
    // queue for a full round trip, whatever limit the caller set for itself.
    const handler = new KmsHttpHandler({
      maxSockets: this.options.maxSockets,
      ...(this.options.requestTimeoutMs !== undefined ? { requestTimeoutMs: this.options.requestTimeoutMs } : {}),
    })
    const client = new KMSClient({
      ...this.baseConfig(region, key.awsProfile, this.options.endpoint),
      ...(credentials !== undefined ? { credentials } : {}),
      requestHandler: handler,
    })
    // The client resolves the endpoint, credentials and signer; the calls themselves skip its
    // middleware pipeline (see kms-json-client.ts).
    const caller = new KmsJsonClient(client, handler)
    this.kms.set(cacheKey, { client, caller, identity })
    return caller
  }

  /** Destroys every cached client (closes their keep-alive sockets) and forgets role credentials. */
  close(): void {
    for (const { client } of this.kms.values()) client.destroy()
    for (const client of this.sts.values()) client.destroy()
    for (const client of this.retired) client.destroy()
    this.retired.length = 0
    this.kms.clear()
    this.sts.clear()
    this.roles.clear()
  }
}
