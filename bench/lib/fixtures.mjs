// Deterministic plaintext fixtures and their encryption with our own public API.
//
// The plaintext is generated from a seeded PRNG so every run (and every machine) measures the
// same bytes. Values are mostly strings (what secrets files hold) with some ints, floats and
// booleans so the typed paths of the cipher are exercised too.
import { encrypt, newAgeKey } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"

/** Values per YAML/JSON section (a mapping under one top-level key). */
const SECTION = 100

function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/**
 * The values of a fixture: `n` leaves as [section, key, value] with typed values.
 * About 36-character string secrets, which gives the ~175 bytes per encrypted YAML line the
 * issue's "10,000 values, about 1.75 MB" describes.
 */
export function fixtureValues(n, seed = 7) {
  const rnd = prng(seed)
  const out = []
  for (let i = 0; i < n; i++) {
    const section = `service_${String(Math.floor(i / SECTION)).padStart(5, "0")}`
    const key = `secret_key_${String(i % SECTION).padStart(3, "0")}`
    let value
    if (i % 20 === 7) value = { int: Math.floor(rnd() * 1e9) }
    else if (i % 50 === 11) value = { bool: rnd() < 0.5 }
    else if (i % 50 === 13) value = { float: Math.round(rnd() * 1e6) / 1e3 + 0.5 }
    else {
      let s = ""
      for (let k = 0; k < 36; k++) s += ALPHABET[Math.floor(rnd() * ALPHABET.length)]
      value = { str: s }
    }
    out.push({ section, key, value })
  }
  return out
}

function scalarText(v) {
  if ("str" in v) return v.str
  if ("int" in v) return String(v.int)
  if ("bool" in v) return String(v.bool)
  return String(v.float)
}

/** Plaintext YAML: sections of {@link SECTION} values. */
export function plainYaml(n, seed) {
  const parts = []
  let current = ""
  for (const { section, key, value } of fixtureValues(n, seed)) {
    if (section !== current) {
      parts.push(`${section}:\n`)
      current = section
    }
    parts.push(`    ${key}: ${scalarText(value)}\n`)
  }
  return parts.join("")
}

/** Plaintext JSON with the same tree as {@link plainYaml}. */
export function plainJson(n, seed) {
  const root = {}
  for (const { section, key, value } of fixtureValues(n, seed)) {
    root[section] ??= {}
    root[section][key] = "str" in value ? value.str : "int" in value ? value.int : "bool" in value ? value.bool : value.float
  }
  return JSON.stringify(root, null, "\t") + "\n"
}

/** Plaintext dotenv: one `KEY=value` line per value (dotenv values are all strings). */
export function plainDotenv(n, seed) {
  return fixtureValues(n, seed)
    .map(({ section, key, value }, i) => `${section.toUpperCase()}_${key.toUpperCase()}_${i}=${scalarText(value)}\n`)
    .join("")
}

/** Plaintext of `n` values in `format`. */
export function plainText(format, n, seed) {
  if (format === "yaml") return plainYaml(n, seed)
  if (format === "json") return plainJson(n, seed)
  if (format === "dotenv") return plainDotenv(n, seed)
  throw new Error(`no fixture generator for ${format}`)
}

/** A fresh age identity with its key service and master key, for one bench run. */
export async function ageSetup() {
  const { identity, recipient } = await generateAgeIdentity()
  return {
    identity,
    recipient,
    masterKey: () => newAgeKey(recipient),
    decryptService: ageKeyService({ identities: [identity] }),
    encryptService: ageKeyService(),
  }
}

/** Encrypts `plain` (string or bytes) for the age recipient with our public `encrypt`. */
export async function encryptForAge(plain, format, age) {
  return encrypt(plain, { format, keys: [age.masterKey()], keyServices: [age.encryptService] })
}
