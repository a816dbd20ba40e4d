/**
 * The identity half of the AWS emulator: IAM users (long-term access keys), roles with a trust
 * list, and STS `AssumeRole` over the query protocol, issuing temporary credentials that the
 * KMS half then accepts only together with their session token.
 * @module
 */
import { randomBytes } from "node:crypto"

/** A long-term IAM access key pair. */
export interface AwsAccessKey {
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

/** A role that `AssumeRole` can hand out. */
export interface EmulatedRole {
  /** e.g. `arn:aws:iam::111122223333:role/sops-decrypt` */
  readonly arn: string
  /** Access key ids allowed to assume the role (default: every configured user). */
  readonly trusted?: readonly string[]
  /** Lifetime of the issued credentials in seconds (default 3600). */
  readonly durationSeconds?: number
}

/** Who signed a request, after the access key was looked up. */
export interface Principal {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  /** Session token the request must carry (temporary credentials only). */
  readonly sessionToken?: string
  /** The user's access key id, or the assumed role's ARN. */
  readonly name: string
  /** ARN shown in error messages. */
  readonly arn: string
  readonly expiresAt?: number
}

/** An AWS-style error: the `code` is what SDKs turn into the exception name. */
export class AwsEmulatorError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** The credentials the emulator's default user has; tests sign with these. */
export const TEST_AWS_CREDENTIALS: AwsAccessKey = {
  accessKeyId: "AKIAEMULATOR00000001",
  secretAccessKey: "emulatorSecretKey/0000000000000000000000",
}

/** Account id used in emulated ARNs. */
export const TEST_AWS_ACCOUNT = "111122223333"

function randomId(prefix: string, n: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
  const bytes = randomBytes(n)
  let s = prefix
  for (const b of bytes) s += alphabet[b & 31]
  return s
}

// RoleSessionName as STS validates it: 2 to 64 of [\w+=,.@-].
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/

/** Users, roles and issued sessions of one emulator instance. */
export class IdentityStore {
  private readonly users = new Map<string, AwsAccessKey>()
  private readonly roles = new Map<string, EmulatedRole>()
  private readonly sessions = new Map<string, Principal>()

  constructor(
    users: readonly AwsAccessKey[],
    roles: readonly EmulatedRole[],
    private readonly now: () => Date,
  ) {
    for (const u of users) this.users.set(u.accessKeyId, u)
    for (const r of roles) this.roles.set(r.arn, r)
  }

  /** Adds a user at run time. */
  addUser(user: AwsAccessKey): void {
    this.users.set(user.accessKeyId, user)
  }

  /** The principal for an access key id, or null when AWS would not know it. */
  lookup(accessKeyId: string): Principal | null {
    const u = this.users.get(accessKeyId)
    if (u !== undefined) {
      return { ...u, name: u.accessKeyId, arn: `arn:aws:iam::${TEST_AWS_ACCOUNT}:user/${u.accessKeyId}` }
    }
    const s = this.sessions.get(accessKeyId)
    if (s !== undefined && (s.expiresAt === undefined || s.expiresAt > this.now().getTime())) return s
    return null
  }

  /**
   * Issues temporary credentials for `roleArn` to `caller`.
   * @throws AwsEmulatorError `ValidationError`, `AccessDenied`
   */
  assumeRole(caller: Principal, roleArn: string, sessionName: string): { principal: Principal; roleSessionName: string } {
    if (!SESSION_NAME.test(sessionName)) {
      throw new AwsEmulatorError(
        "ValidationError",
        400,
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      )
    }
    const role = this.roles.get(roleArn)
    const trusted = role?.trusted ?? [...this.users.keys()]
    if (role === undefined || !trusted.includes(caller.name)) {
      throw new AwsEmulatorError(
        "AccessDenied",
        403,
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      )
    }
    const roleName = roleArn.slice(roleArn.lastIndexOf("/") + 1)
    const principal: Principal = {
      accessKeyId: randomId("ASIA", 16),
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: randomBytes(96).toString("base64"),
      name: roleArn,
      arn: `arn:aws:sts::${TEST_AWS_ACCOUNT}:assumed-role/${roleName}/${sessionName}`,
      expiresAt: this.now().getTime() + (role.durationSeconds ?? 3600) * 1000,
    }
    this.sessions.set(principal.accessKeyId, principal)
    return { principal, roleSessionName: sessionName }
  }
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)
}

const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

/** The XML body of a successful `AssumeRole`. */
export function assumeRoleResponseXml(p: Principal, sessionName: string, requestId: string): string {
  const roleId = randomId("AROA", 17)
  return (
    `<AssumeRoleResponse xmlns="${STS_NS}">\n` +
    `  <AssumeRoleResult>\n` +
    `    <AssumedRoleUser>\n` +
    `      <AssumedRoleId>${roleId}:${xmlEscape(sessionName)}</AssumedRoleId>\n` +
    `      <Arn>${xmlEscape(p.arn)}</Arn>\n` +
    `    </AssumedRoleUser>\n` +
    `    <Credentials>\n` +
    `      <AccessKeyId>${p.accessKeyId}</AccessKeyId>\n` +
    `      <SecretAccessKey>${xmlEscape(p.secretAccessKey)}</SecretAccessKey>\n` +
    `      <SessionToken>${xmlEscape(p.sessionToken ?? "")}</SessionToken>\n` +
    `      <Expiration>${new Date(p.expiresAt ?? 0).toISOString().replace(/\.\d{3}Z$/, "Z")}</Expiration>\n` +
    `    </Credentials>\n` +
    `  </AssumeRoleResult>\n` +
    `  <ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>\n` +
    `</AssumeRoleResponse>\n`
  )
}

/** The XML body of an STS error, as the query protocol returns it. */
export function stsErrorXml(err: AwsEmulatorError, requestId: string): string {
  const type = err.status >= 500 ? "Receiver" : "Sender"
  return (
    `<ErrorResponse xmlns="${STS_NS}">\n` +
    `  <Error><Type>${type}</Type><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message></Error>\n` +
    `  <RequestId>${requestId}</RequestId>\n` +
    `</ErrorResponse>\n`
  )
}

/** The parameters of a query-protocol request body (`Action=AssumeRole&...`). */
export function parseQueryBody(body: Uint8Array): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of new URLSearchParams(Buffer.from(body).toString("utf8"))) out.set(k, v)
  return out
}
