/**
 * Comparison of sops version stamps (`3.7.3`, `v3.8.0`, `1.14` for Python sops).
 * @module
 */

/** The numeric major, minor and patch of a version string (missing parts are 0). */
function parts(v: string): [number, number, number] {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v.trim())
  if (!m) return [0, 0, 0]
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)]
}

/** Negative when `a` is older than `b`, 0 when equal (pre-release tags are ignored), positive when newer. */
export function compareVersions(a: string, b: string): number {
  const x = parts(a)
  const y = parts(b)
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return 0
}
