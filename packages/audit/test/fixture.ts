/**
 * Builds a Flux-style GitOps repository in a temporary directory that exhibits every finding
 * kind of the audit. Encrypted files are made with core's `encrypt` and real age keys; legacy
 * PGP/KMS files get hand-written metadata (no key material needed to audit them).
 */
import { execFileSync } from "node:child_process"
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { encrypt, newAgeKey, type EncryptionOptions, type Format } from "@sops-ts/core"

export interface Fixture {
  readonly root: string
  /** age identities: A and B are the team keys of .sops.yaml, R a revoked key. */
  readonly keys: { readonly A: AgeKey; readonly B: AgeKey; readonly R: AgeKey }
  /** The fingerprint of the 1024-bit RSA PGP key in `.sops.pub.asc`. */
  readonly weakPgpFp: string
  /** The 1024-bit `ssh-rsa` recipient of the legacy file. */
  readonly weakSshRecipient: string
  readonly now: Date
}

export interface AgeKey {
  readonly identity: string
  readonly recipient: string
}

const DAY = 86_400_000

/** Writes a file, creating directories. */
export function put(root: string, rel: string, content: string | Uint8Array): void {
  const p = join(root, rel)
  mkdirSync(dirname(p), { recursive: true })
  writeFileSync(p, content)
}

/** Runs git in the repository with a fixed identity. */
export function gitIn(root: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Audit Test", "-c", "user.email=audit@example.test", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", ...args], {
    cwd: root,
    encoding: "utf8",
  })
}

/** Encrypts with age recipients. */
export async function encryptAge(text: string, format: Format, recipients: readonly string[], opts: { now?: Date; selection?: EncryptionOptions } = {}): Promise<Uint8Array> {
  return encrypt(text, {
    format,
    keys: recipients.map((r) => newAgeKey(r)),
    keyServices: [ageKeyService()],
    ...(opts.now ? { now: () => opts.now! } : {}),
    ...(opts.selection ? { selection: opts.selection } : {}),
  })
}

/** A syntactically valid ENC[...] value (random bytes: nobody can decrypt it). */
export function fakeEnc(type = "str"): string {
  const b = (n: number): string => randomBytes(n).toString("base64")
  return `ENC[AES256_GCM,data:${b(12)},iv:${b(32)},tag:${b(16)},type:${type}]`
}

/** An armored OpenPGP v4 RSA public key packet with a `bits`-bit modulus (no signatures: enough to read sizes). */
export function pgpPublicKeyFile(bits: number): { armored: string; fingerprint: string } {
  const n = randomBytes(bits / 8)
  n[0]! |= 0x80
  const mpi = (b: Buffer, bitCount: number): Buffer => Buffer.concat([Buffer.from([bitCount >> 8, bitCount & 0xff]), b])
  // version 4, creation time, algorithm 1 (RSA), n, e = 65537 (17 bits)
  const body = Buffer.concat([Buffer.from([4, 0x5f, 0, 0, 0, 1]), mpi(n, bits), mpi(Buffer.from([1, 0, 1]), 17)])
  const header = Buffer.from([0x99, body.length >> 8, body.length & 0xff])
  const packet = Buffer.concat([header, body]) // old-format tag 6, two-byte length: same bytes as the fingerprint prefix
  const fingerprint = createHash("sha1").update(header).update(body).digest("hex").toUpperCase()
  const b64 = packet.toString("base64").replace(/.{64}/g, "$&\n")
  return { armored: `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${b64}\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n`, fingerprint }
}

/** A `ssh-rsa` public key line with a `bits`-bit modulus. */
export function sshRsaPublicKey(bits: number): string {
  // Encoded by the generation: a later KeyObject.export can deadlock Node 20.
  const jwk = generateKeyPairSync("rsa", { modulusLength: bits, publicKeyEncoding: { format: "jwk" } }).publicKey as { n: string; e: string }
  const field = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  }
  const mpint = (b64url: string): Buffer => {
    let b = Buffer.from(b64url, "base64url")
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b])
    return field(b)
  }
  const blob = Buffer.concat([field(Buffer.from("ssh-rsa")), mpint(jwk.e), mpint(jwk.n)])
  return `ssh-rsa ${blob.toString("base64")}`
}

const SECRET_YAML = (name: string, password: string): string => `apiVersion: v1
kind: Secret
metadata:
    name: ${name}
    namespace: apps
type: Opaque
stringData:
    username: admin
    password: ${password}
`

async function ageKey(): Promise<AgeKey> {
  return generateAgeIdentity()
}

/** Builds the fixture repository. Not a git repository: callers `git init` when needed. */
export async function buildFixture(): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), "sops-audit-"))
  const now = new Date("2026-06-01T12:00:00Z")
  const A = await ageKey()
  const B = await ageKey()
  const R = await ageKey()
  const weakPgp = pgpPublicKeyFile(1024)
  const weakSsh = sshRsaPublicKey(1024)

  put(
    root,
    ".sops.yaml",
    `creation_rules:
  - path_regex: clusters/.*/secrets/.*\\.ya?ml$
    encrypted_regex: ^(data|stringData)$
    age: ${A.recipient}
  - path_regex: \\.enc\\.(ya?ml|json|env)$
    age: ${A.recipient},${B.recipient}
`,
  )
  put(
    root,
    ".sops-audit.yaml",
    `max_data_key_age_days: 90
min_sops_version: 3.8.0
required_keys:
  - ${A.recipient}
forbidden_keys:
  - ${R.recipient}
forbidden_key_types: [pgp]
allow_mac_only_encrypted: false
allowed_paths:
  - ^(clusters|apps|infrastructure)/
ignore_paths:
  - ^vendor/
fail_on: high
`,
  )
  put(root, ".gitignore", ".env.local\nbuild/\n")
  put(root, ".env.local", "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ12\n")
  put(root, "build/leftover.yaml", SECRET_YAML("ignored", "Zq8x!pL2@vN9#rT4"))
  put(root, "vendor/chart/secret.yaml", SECRET_YAML("vendored", "Zq8x!pL2@vN9#rT4"))
  put(root, "README.md", "# fleet\n")
  put(root, ".sops.pub.asc", weakPgp.armored)

  // Flux layout.
  put(
    root,
    "clusters/prod/flux-system/kustomization.yaml",
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gotk-components.yaml\n",
  )
  put(
    root,
    "clusters/prod/apps.yaml",
    `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  decryption:
    provider: sops
    secretRef:
      name: sops-age
`,
  )
  // A clean, correctly encrypted Secret.
  put(root, "clusters/prod/secrets/db.yaml", await encryptAge(SECRET_YAML("db", "s3cr3t-db-pass"), "yaml", [A.recipient], { now: new Date(now.getTime() - 10 * DAY), selection: { encryptedRegex: "^(data|stringData)$" } }))
  // A plaintext Secret where the rule says it must be encrypted.
  put(root, "clusters/prod/secrets/plain.yaml", SECRET_YAML("plain", "hunter2-hunter2"))

  // apps/podinfo: a Kustomize app with a HelmRelease and generated secrets.
  put(
    root,
    "apps/podinfo/kustomization.yaml",
    `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - release.yaml
  - secret.yaml
secretGenerator:
  - name: podinfo-creds
    envs:
      - creds.env
  - name: podinfo-tls
    files:
      - tls.key=certs/tls.key
`,
  )
  put(root, "apps/podinfo/creds.env", "API_USER=podinfo\nAPI_PASSWORD=Jd8s-PlainText-2kq\n")
  put(root, "apps/podinfo/certs/tls.key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n")
  put(
    root,
    "apps/podinfo/release.yaml",
    `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  chart:
    spec:
      chart: podinfo
  values:
    replicaCount: 2
    existingSecret: podinfo-creds
    backend:
      apiToken: 9fK2xQ7vLm3RtZ8wYp4NcB6hJd1Sg5Ae
`,
  )
  put(root, "apps/podinfo/secret.yaml", SECRET_YAML("podinfo", "p0dinf0-pass"))
  put(
    root,
    "apps/podinfo/sopssecret.yaml",
    `apiVersion: isindir.github.com/v1alpha3
kind: SopsSecret
metadata:
  name: podinfo
spec:
  secretTemplates:
    - name: podinfo-extra
      stringData:
        token: abc
`,
  )
  put(root, "apps/podinfo/helm/secrets.yaml", "postgresql:\n  auth:\n    password: pg\n")
  put(root, "apps/podinfo/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n")
  // Matches the .enc rule but was never encrypted.
  put(root, "apps/podinfo/settings.enc.yaml", "log_level: debug\n")

  // Encrypted files with problems.
  put(root, "apps/podinfo/good.enc.yaml", await encryptAge("api_key: k3y\n", "yaml", [A.recipient, B.recipient], { now: new Date(now.getTime() - 5 * DAY) }))
  put(root, "apps/podinfo/drift.enc.yaml", await encryptAge("token: abc\n", "yaml", [A.recipient], { now: new Date(now.getTime() - 5 * DAY) }))
  put(root, "apps/podinfo/stale.enc.json", await encryptAge('{"password": "old"}', "json", [A.recipient, B.recipient], { now: new Date(now.getTime() - 200 * DAY) }))
  put(root, "apps/podinfo/revoked.enc.yaml", await encryptAge("token: abc\n", "yaml", [A.recipient, B.recipient, R.recipient], { now: new Date(now.getTime() - 5 * DAY) }))
  put(
    root,
    "apps/podinfo/maconly.enc.yaml",
    await encryptAge("db_password: secret\ndb_password_unencrypted: 7Gq!x2Lp9Zr4Tw8Vb3Nm\n", "yaml", [A.recipient, B.recipient], {
      now: new Date(now.getTime() - 5 * DAY),
      selection: { macOnlyEncrypted: true },
    }),
  )
  const good = new TextDecoder().decode(await encryptAge("a: one\nb: two\n", "yaml", [A.recipient, B.recipient], { now: new Date(now.getTime() - 5 * DAY) }))
  // Damaged value: a truncated tag.
  put(root, "apps/podinfo/broken.enc.yaml", good.replace(/^a: ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:[^,]+,/m, "a: ENC[AES256_GCM,data:$1,iv:$2,tag:AAAA,"))
  // Swapped values: parse fine, fail to decrypt (the AAD is the key path).
  const lines = good.split("\n")
  const ia = lines.findIndex((l) => l.startsWith("a: "))
  const ib = lines.findIndex((l) => l.startsWith("b: "))
  const va = lines[ia]!.slice(3)
  lines[ia] = "a: " + lines[ib]!.slice(3)
  lines[ib] = "b: " + va
  put(root, "apps/podinfo/tampered.enc.yaml", lines.join("\n"))
  // ENC values whose sops section was lost.
  put(root, "apps/podinfo/lost-meta.yaml", `password: ${fakeEnc()}\n`)
  // Not JSON at all, though a rule says it is a secret.
  put(root, "apps/podinfo/garbage.enc.json", '{"password": ENC[')
  // sops section without lastmodified.
  put(root, "apps/podinfo/invalid-meta.enc.yaml", `password: ${fakeEnc()}\nsops:\n    age:\n        - recipient: ${A.recipient}\n          enc: x\n    mac: ${fakeEnc()}\n    version: 3.13.2\n`)
  // Encrypted, but outside the allowed paths.
  put(root, "outside/stray.enc.yaml", await encryptAge("token: abc\n", "yaml", [A.recipient, B.recipient], { now: new Date(now.getTime() - 5 * DAY) }))

  // Legacy file: PGP (1024-bit RSA) + KMS + weak ssh-rsa age recipient, old sops, no MAC, old data key.
  put(
    root,
    "apps/legacy/legacy.enc.yaml",
    `password: ${fakeEnc()}
port: ${fakeEnc("int")}
sops:
    kms:
        - arn: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
          created_at: "2021-01-10T10:00:00Z"
          enc: AQICAHh
          aws_profile: ""
    age:
        - recipient: ${weakSsh}
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdl
            -----END AGE ENCRYPTED FILE-----
    lastmodified: "2021-01-10T10:00:00Z"
    mac: ""
    pgp:
        - created_at: "2021-01-10T10:00:00Z"
          enc: |-
            -----BEGIN PGP MESSAGE-----

            wcBMA
            -----END PGP MESSAGE-----
          fp: ${weakPgp.fingerprint}
    unencrypted_suffix: _unencrypted
    version: 3.5.0
`,
  )
  return { root, keys: { A, B, R }, weakPgpFp: weakPgp.fingerprint, weakSshRecipient: weakSsh, now }
}
