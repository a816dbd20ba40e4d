/**
 * RFC 3339 parsing with Go's semantics (`time.Parse(time.RFC3339, s)` and `UnmarshalText`).
 * @module
 */
import { Timestamp } from "./tree.js"

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/**
 * Parses an RFC 3339 timestamp (fractional seconds optional, `Z` or `±hh:mm`), keeping the
 * zone offset and nanoseconds. Returns null when the text is not RFC 3339 or the date is
 * impossible (Go rejects 2021-02-30).
 */
export function parseRFC3339(s: string): Timestamp | null {
  const m = RFC3339.exec(s)
  if (!m) return null
  const [, y, mo, d, h, mi, se, frac, z, sign, oh, om] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const min = Number(mi)
  const sec = Number(se)
  if (month < 1 || month > 12 || hour > 23 || min > 59 || sec > 59) return null
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (day < 1 || day > dim) return null
  let offset = 0
  if (!z) {
    const ohn = Number(oh)
    const omn = Number(om)
    if (ohn > 23 || omn > 59) return null
    offset = (sign === "-" ? -1 : 1) * (ohn * 60 + omn)
  }
  const utcMs = Date.UTC(year, month - 1, day, hour, min, sec) - offset * 60_000
  const nanos = frac ? Number(frac.padEnd(9, "0")) : 0
  // Date.UTC maps years 0..99 to 1900+, so those need setUTCFullYear.
  const ms = year < 100 ? smallYearMs(year, month, day, hour, min, sec, offset) : utcMs
  return new Timestamp(Math.floor(ms / 1000), nanos, offset)
}

function smallYearMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  min: number,
  sec: number,
  offset: number,
): number {
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  d.setUTCHours(hour, min, sec, 0)
  return d.getTime() - offset * 60_000
}

/**
 * The canonical form sops uses as the MAC's AAD: parse `lastmodified` as RFC 3339 and format
 * it again with `time.RFC3339` (fraction dropped, `Z` for a zero offset). Null if unparsable.
 */
export function canonicalRFC3339(s: string): string | null {
  const t = parseRFC3339(s)
  return t === null ? null : t.toRFC3339()
}

/** Formats a Date as sops writes `lastmodified`/`created_at`: RFC 3339, UTC, seconds. */
export function formatRFC3339Utc(date: Date): string {
  return Timestamp.fromDate(new Date(Math.floor(date.getTime() / 1000) * 1000)).toRFC3339()
}
