// Issue 7, part 5: the cost per value must stay flat from 100 to 100,000 values (no
// quadratic step anywhere: parser, walk, emitter).
import { decrypt, encrypt } from "@sops-ts/core"
import { ageSetup, plainText } from "./lib/fixtures.mjs"
import { compare, ms } from "./lib/timing.mjs"

/** Target: per-value cost at 10× the values at most this many times the smaller size's. */
const MAX_GROWTH = 1.5

const SIZES = [100, 1_000, 10_000, 100_000]
const FORMATS = ["yaml", "json", "dotenv"]

function us(x) {
  return `${x.toFixed(1)} µs`
}

export async function run(ctx) {
  const age = await ageSetup()
  const rows = []
  for (const format of FORMATS) {
    const options = { format, keyServices: [age.decryptService] }
    const files = {}
    for (const n of SIZES) {
      files[n] = await encrypt(plainText(format, n), { format, keys: [age.masterKey()], keyServices: [age.encryptService] })
    }
    // All sizes run interleaved in one comparison, so load that comes and goes hits every size
    // alike; the warm-up rounds also bring the JIT to steady state before anything is timed.
    const iterations = ctx.quick ? 3 : 7
    ctx.log(`${format}: ${SIZES.map((n) => n.toLocaleString("en-US")).join(", ")} values × ${iterations}, interleaved`)
    const r = await compare(Object.fromEntries(SIZES.map((n) => [n, () => decrypt(files[n], options)])), { iterations, warmup: 2 })
    const perValue = SIZES.map((n) => ({ n, ms: r[n].median, us: (r[n].median * 1000) / n }))
    rows.push({
      name: `${format}: decrypt µs/value at 100 / 1k / 10k / 100k`,
      value: perValue.map((p) => us(p.us)).join(" / "),
      target: null,
      met: null,
      note: `totals: ${perValue.map((p) => ms(p.ms)).join(" / ")}; at 100 values the fixed cost of a call (the age unwrap) dominates`,
      data: { perValue },
    })
    // The fixed cost of a call swamps 100 values, so flatness is judged from 1,000 up.
    for (let i = 2; i < perValue.length; i++) {
      const growth = perValue[i].us / perValue[i - 1].us
      rows.push({
        name: `${format}: per-value cost, ${perValue[i].n.toLocaleString("en-US")} vs ${perValue[i - 1].n.toLocaleString("en-US")} values`,
        value: `${growth.toFixed(2)}×`,
        target: `≤ ${MAX_GROWTH}×`,
        met: growth <= MAX_GROWTH,
        data: { growth },
      })
    }
  }
  return rows
}
