// Issue 7, part 2: against the other SOPS libraries for JavaScript, same run, same files.
//
// - `sops-age` (npm) on age-encrypted YAML, JSON and dotenv files.
// - `sops-decoder` (npm), which only speaks AWS KMS and JSON, on a KMS-encrypted JSON file,
//   through the loopback AWS KMS emulator of @sops-ts/testkit (both sides pay its round trip).
//
// Both sides produce a plain object: our `decryptToObject` against their decrypt call.
import { createRequire } from "node:module"
import { decryptToObject, encrypt, newKmsKey } from "@sops-ts/core"
import { decryptSops } from "sops-age"
import { ageSetup, plainText } from "./lib/fixtures.mjs"
import { compare, ms, pairedRatio, ratio } from "./lib/timing.mjs"

/** Target: at least this many times faster than sops-age on the 10,000-value YAML file. */
const MIN_SPEEDUP_YAML = 5

const AGE_CASES = [
  { format: "yaml", n: 10_000, fileType: "yaml", target: true },
  { format: "json", n: 10_000, fileType: "json", target: false },
  { format: "dotenv", n: 1_000, fileType: "env", target: false },
]

function leafCount(v) {
  if (v === null || typeof v !== "object") return 1
  return Object.values(v).reduce((n, x) => n + leafCount(x), 0)
}

function speedupRow(name, r, peer, extra) {
  const x = pairedRatio(r[peer], r.ours)
  return {
    name,
    value: `${ms(r.ours.median)} vs ${peer} ${ms(r[peer].median)}: ${ratio(x)} faster`,
    oursMs: r.ours.median,
    x,
    data: { speedup: x, oursMs: r.ours.median, peerMs: r[peer].median, oursSamples: r.ours.samples, peerSamples: r[peer].samples },
    ...extra,
  }
}

async function agePeers(ctx, rows) {
  const age = await ageSetup()
  for (const { format, n, fileType, target } of AGE_CASES) {
    const enc = await encrypt(plainText(format, n), { format, keys: [age.masterKey()], keyServices: [age.encryptService] })
    const text = new TextDecoder().decode(enc)
    const options = { format, keyServices: [age.decryptService] }
    const mine = await decryptToObject(enc, options)
    const theirs = await decryptSops(text, { secretKey: age.identity, fileType })
    if (leafCount(mine) !== n || leafCount(theirs) !== n) {
      throw new Error(`${format}: expected ${n} values from both libraries, got ${leafCount(mine)} and ${leafCount(theirs)}`)
    }
    const label = `${format}, ${n.toLocaleString("en-US")} values, age`
    ctx.log(`sops-age: ${label}`)
    const r = await compare(
      {
        ours: () => decryptToObject(enc, options),
        "sops-age": () => decryptSops(text, { secretKey: age.identity, fileType }),
      },
      { iterations: ctx.quick ? 5 : 15, warmup: 2, budgetMs: 30_000 },
    )
    const row = speedupRow(`vs sops-age: ${label}`, r, "sops-age", {})
    rows.push({
      name: row.name,
      value: row.value,
      target: target ? `≥ ${MIN_SPEEDUP_YAML}× faster` : null,
      met: target ? row.x >= MIN_SPEEDUP_YAML : null,
      data: row.data,
    })
  }
}

async function kmsPeer(ctx, rows) {
  const name = "vs sops-decoder: json, 10,000 values, AWS KMS (emulator)"
  let testkit
  let awsKms
  try {
    testkit = await import("@sops-ts/testkit")
    awsKms = await import("@sops-ts/aws-kms")
    if (typeof testkit.startAwsKmsEmulator !== "function" || typeof awsKms.awsKmsKeyService !== "function") {
      throw new Error("awsKmsKeyService or startAwsKmsEmulator is not built")
    }
  } catch (err) {
    rows.push({ name, value: "not run", target: null, met: null, note: `the AWS KMS provider or its emulator is not available: ${err.message}` })
    return
  }
  const emulator = await testkit.startAwsKmsEmulator()
  const kms = awsKms.awsKmsKeyService({ endpoint: emulator.url, credentials: testkit.TEST_AWS_CREDENTIALS })
  // sops-decoder builds `new KMSClient({ region })` itself: the SDK's environment settings are
  // the only way to point it at the emulator.
  const saved = { ...process.env }
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: emulator.url,
    AWS_ACCESS_KEY_ID: testkit.TEST_AWS_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testkit.TEST_AWS_CREDENTIALS.secretAccessKey,
    AWS_REGION: "us-east-1",
  })
  delete process.env.AWS_SESSION_TOKEN
  delete process.env.AWS_PROFILE
  try {
    const sopsDecoder = createRequire(import.meta.url)("sops-decoder")
    const n = 10_000
    const enc = await encrypt(plainText("json", n), {
      format: "json",
      keys: [newKmsKey({ arn: testkit.TEST_KMS_KEY_ARN })],
      keyServices: [kms],
    })
    const text = new TextDecoder().decode(enc)
    const options = { format: "json", keyServices: [kms] }
    const mine = await decryptToObject(enc, options)
    const theirs = await sopsDecoder.decrypt(JSON.parse(text))
    if (leafCount(mine) !== n || leafCount(theirs) !== n) {
      throw new Error(`kms: expected ${n} values from both libraries, got ${leafCount(mine)} and ${leafCount(theirs)}`)
    }
    ctx.log("sops-decoder: json, 10,000 values, AWS KMS")
    const r = await compare(
      {
        ours: () => decryptToObject(enc, options),
        "sops-decoder": () => sopsDecoder.decrypt(JSON.parse(text)),
      },
      { iterations: ctx.quick ? 5 : 15, warmup: 2, budgetMs: 30_000 },
    )
    const row = speedupRow(name, r, "sops-decoder", {})
    rows.push({ name: row.name, value: row.value, target: null, met: null, data: row.data })
  } finally {
    process.env = saved
    kms.close()
    await emulator.stop()
  }
}

export async function run(ctx) {
  const rows = []
  await agePeers(ctx, rows)
  await kmsPeer(ctx, rows)
  return rows
}
