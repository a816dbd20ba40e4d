// Timing helpers. Every comparison interleaves its contenders (A, B, A, B, ...) so drift of
// the machine (turbo, other load, GC of earlier work) hits all of them alike, and reports
// medians, which one slow sample cannot move.
import { performance } from "node:perf_hooks"

/** Median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function collect() {
  if (typeof globalThis.gc === "function") globalThis.gc()
}

/**
 * Runs each contender `iterations` times, round-robin, after `warmup` untimed rounds.
 * @param contenders - name → async or sync function (its result is ignored)
 * @returns name → { median, min, samples } in milliseconds
 */
export async function compare(contenders, { iterations = 15, warmup = 3, budgetMs = Infinity } = {}) {
  const names = Object.keys(contenders)
  for (let w = 0; w < warmup; w++) {
    for (const n of names) await contenders[n]()
  }
  const samples = Object.fromEntries(names.map((n) => [n, []]))
  const started = performance.now()
  for (let i = 0; i < iterations; i++) {
    // Rotate the starting contender so none always runs right after a GC pause of another.
    for (let k = 0; k < names.length; k++) {
      const n = names[(i + k) % names.length]
      collect()
      const t0 = performance.now()
      await contenders[n]()
      samples[n].push(performance.now() - t0)
    }
    if (i >= 4 && performance.now() - started > budgetMs) break
  }
  return Object.fromEntries(
    names.map((n) => [n, { median: median(samples[n]), min: Math.min(...samples[n]), samples: samples[n] }]),
  )
}

/**
 * Median of the per-round ratios a[i] / b[i] of two contenders of one {@link compare} run.
 * Both ran back to back in each round, so load from other processes that comes and goes
 * cancels out of each ratio; the median then drops the rounds it hit unevenly.
 */
export function pairedRatio(a, b) {
  const n = Math.min(a.samples.length, b.samples.length)
  const rs = []
  for (let i = 0; i < n; i++) rs.push(a.samples[i] / b.samples[i])
  return median(rs)
}

/** Formats milliseconds for tables. */
export function ms(x) {
  return x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`
}

/** Formats a ratio for tables. */
export function ratio(x) {
  return `${x.toFixed(2)}×`
}
