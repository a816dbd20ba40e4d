/**
 * One file, five key types: age, AWS KMS, GCP KMS, Azure Key Vault and Vault transit, each
 * served by its real client against a loopback emulator. Any one key alone opens the file,
 * and rewriting it with only age available keeps the four cloud entries byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  decryptToText,
  encrypt,
  newAgeKey,
  newAzureKvKey,
  newGcpKmsKey,
  newKmsKey,
  newVaultKeyFromUri,
  setValue,
  type KeyService,
  type MasterKey,
} from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { awsKmsKeyService } from "@sops-ts/aws-kms"
import { gcpKmsKeyService } from "@sops-ts/gcp-kms"
import { azureKeyVaultKeyService } from "@sops-ts/azure-kv"
import { vaultTransitKeyService } from "@sops-ts/hc-vault"
import {
  startAwsKmsEmulator,
  startAzureKvEmulator,
  startGcpKmsEmulator,
  startVaultEmulator,
  TEST_AWS_CREDENTIALS,
  TEST_KMS_KEY_ARN,
  type AwsKmsEmulator,
  type AzureKvEmulator,
  type GcpKmsEmulator,
  type VaultEmulator,
} from "../src/index.js"

const PLAIN = "db:\n    password: s3cr3t\nport: 5432\n"
const GCP_KEY = "projects/sops-ts/locations/global/keyRings/ring/cryptoKeys/main"

let aws: AwsKmsEmulator, gcp: GcpKmsEmulator, azure: AzureKvEmulator, vault: VaultEmulator
let services: Record<string, KeyService>
let keys: MasterKey[]
let encrypted: string

beforeAll(async () => {
  process.env["AWS_EC2_METADATA_DISABLED"] = "true"
  ;[aws, gcp, azure, vault] = await Promise.all([
    startAwsKmsEmulator(),
    startGcpKmsEmulator({ keys: [GCP_KEY] }),
    startAzureKvEmulator(),
    startVaultEmulator(),
  ])
  const age = await generateAgeIdentity()
  services = {
    age: ageKeyService({ identities: [age.identity] }),
    kms: awsKmsKeyService({ endpoint: aws.url, credentials: TEST_AWS_CREDENTIALS }),
    gcp_kms: gcpKmsKeyService({ accessToken: gcp.token, transport: "rest", apiEndpoint: gcp.restUrl, retryDelayMs: 1 }),
    azure_kv: azureKeyVaultKeyService({ credential: azure.credential, retryDelayMs: 1, clientOptions: { agent: azure.agent } }),
    hc_vault: vaultTransitKeyService({ token: vault.token, retryDelayMs: 1 }),
  }
  keys = [
    newAgeKey(age.recipient),
    newKmsKey({ arn: TEST_KMS_KEY_ARN }),
    newGcpKmsKey(GCP_KEY),
    newAzureKvKey(azure.vaultUrl, "sops", azure.keyVersion("sops")),
    newVaultKeyFromUri(`${vault.url}/v1/transit/keys/sops`),
  ]
  encrypted = Buffer.from(await encrypt(PLAIN, { format: "yaml", keys, keyServices: Object.values(services) })).toString()
})

afterAll(async () => {
  await Promise.all([aws?.stop(), gcp?.stop(), azure?.stop(), vault?.stop()])
})

describe("a file encrypted to age + AWS KMS + GCP KMS + Azure Key Vault + Vault", () => {
  it("records every key type in sops' metadata", () => {
    for (const section of ["age:", "azure_kv:", "gcp_kms:", "hc_vault:", "kms:"]) expect(encrypted).toContain(`\n    ${section}\n`)
  })

  it.each(["age", "kms", "gcp_kms", "azure_kv", "hc_vault"])("decrypts with %s alone", async (type) => {
    expect(await decryptToText(encrypted, { format: "yaml", keyServices: [services[type]!], decryptionOrder: [type] })).toBe(PLAIN)
  })

  it("keeps the four cloud entries byte for byte when rewritten with only age available", async () => {
    const { output } = await setValue(encrypted, ["port"], 6543n, { format: "yaml", keyServices: [services["age"]!] })
    const text = Buffer.from(output).toString()
    const block = (s: string, name: string): string => new RegExp(`\\n    ${name}:\\n(?: {8}.*\\n)+`).exec(s)![0]
    for (const name of ["azure_kv", "gcp_kms", "hc_vault", "kms"]) expect(block(text, name)).toBe(block(encrypted, name))
    expect(await decryptToText(text, { format: "yaml", keyServices: [services["hc_vault"]!], decryptionOrder: ["hc_vault"] })).toBe(
      "db:\n    password: s3cr3t\nport: 6543\n",
    )
  })
})
