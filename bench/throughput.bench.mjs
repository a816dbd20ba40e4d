// Issue 7, part 1: decrypt and encrypt throughput against the floor (bench/lib/floor.mjs).
import { decrypt, encrypt, openEncrypted, storeFor } from "@sops-ts/core"
import { ageSetup, plainText } from "./lib/fixtures.mjs"
import { floorDecryptor, floorEncryptor } from "./lib/floor.mjs"
import { compare, ms, pairedRatio, ratio } from "./lib/timing.mjs"

/** Target: at most this many times the floor. */
const MAX_RATIO = 1.3

const CASES = [
  { format: "yaml", n: 10_000 },
  { format: "json", n: 10_000 },
  { format: "dotenv", n: 1_000 },
]

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(2)} MB`
}

function equalBytes(a, b) {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

export async function run(ctx) {
  const age = await ageSetup()
  const iterations = ctx.quick ? 5 : 21
  const rows = []
  for (const { format, n } of CASES) {
    const plain = new TextEncoder().encode(plainText(format, n))
    const encOptions = { format, keys: [age.masterKey()], keyServices: [age.encryptService] }
    const decOptions = { format, keyServices: [age.decryptService] }
    const enc = await encrypt(plain, encOptions)
    const opened = await openEncrypted(enc, decOptions)
    const floorDecrypt = floorDecryptor(format, opened.dataKey)
    const floorEncrypt = floorEncryptor(format, opened.dataKey, storeFor(format).loadEncrypted(enc).metadata)

    // The floor must do the same job: same output bytes, same encrypted size.
    const ours = await decrypt(enc, decOptions)
    if (!equalBytes(ours, plain) || !equalBytes(floorDecrypt(enc), ours)) {
      throw new Error(`${format}: floor and our decrypt disagree; the floor is not measuring the same work`)
    }
    if (floorEncrypt(plain).length !== enc.length) {
      throw new Error(`${format}: floor encrypt writes a different size than ours`)
    }

    const label = `${format}, ${n.toLocaleString("en-US")} values (${mb(enc.length)})`
    ctx.log(`decrypt ${label}`)
    const d = await compare(
      {
        ours: () => decrypt(enc, decOptions),
        floor: () => floorDecrypt(enc),
      },
      { iterations },
    )
    ctx.log(`encrypt ${label}`)
    const e = await compare({ ours: () => encrypt(plain, encOptions), floor: () => floorEncrypt(plain) }, { iterations })

    for (const [op, r] of [
      ["decrypt", d],
      ["encrypt", e],
    ]) {
      const x = pairedRatio(r.ours, r.floor)
      rows.push({
        name: `${op} ${label}`,
        value: `${ms(r.ours.median)} vs floor ${ms(r.floor.median)}: ${ratio(x)}`,
        target: `≤ ${MAX_RATIO.toFixed(2)}× floor`,
        met: x <= MAX_RATIO,
        data: { ratio: x, oursMs: r.ours.median, floorMs: r.floor.median, oursSamples: r.ours.samples, floorSamples: r.floor.samples },
      })
    }
  }
  // What the floor leaves out and a real call cannot: unwrapping the data key with age (plus
  // parsing the metadata). Shown so the ratios of small files can be read correctly.
  const one = await encrypt("a: b\n", { format: "yaml", keys: [age.masterKey()], keyServices: [age.encryptService] })
  const fixed = await compare({ one: () => decrypt(one, { format: "yaml", keyServices: [age.decryptService] }) }, { iterations })
  rows.push({
    name: "fixed cost of a decrypt call (1-value YAML, age)",
    value: ms(fixed.one.median),
    target: null,
    met: null,
    data: { ms: fixed.one.median },
  })
  return rows
}
