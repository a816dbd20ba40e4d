// The floor: the least work any correct SOPS decrypt (or encrypt) must do, measured in the
// same process as ours. It uses the same parsing and emitting code our stores use (the
// "same parsing library": our go-yaml-compatible YAML scanner/emitter, our JSON and dotenv
// stores) and replaces everything else with one raw `node:crypto` AES-256-GCM operation per
// value and one SHA-512 over the values. No key unwrap, no MAC comparison, no checks beyond
// what node:crypto does, no events: whatever we spend above this is our overhead.
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes } from "node:crypto"
import { Comment, TreeBranch, storeFor } from "@sops-ts/core"

// Fresh random IVs, drawn 128 at a time: one `randomBytes` call per value costs more than the
// cipher itself, and the library draws its IVs in batches too, so a floor paying one call per
// value would not be the least work.
const IV_BATCH = 128
let ivPool = Buffer.alloc(0)
let ivAt = 0
function nextIv() {
  if (ivAt === ivPool.length) {
    ivPool = randomBytes(32 * IV_BATCH)
    ivAt = 0
  }
  ivAt += 32
  return ivPool.subarray(ivAt - 32, ivAt)
}

function decryptLeaf(s, aad, key, hash) {
  // ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<t>]
  const iIv = s.indexOf(",iv:")
  const iTag = s.indexOf(",tag:", iIv)
  const iType = s.indexOf(",type:", iTag)
  const data = Buffer.from(s.slice(20, iIv), "base64")
  const iv = Buffer.from(s.slice(iIv + 4, iTag), "base64")
  const tag = Buffer.from(s.slice(iTag + 5, iType), "base64")
  const type = s.slice(iType + 6, -1)
  const d = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: 16 })
  d.setAAD(Buffer.from(aad))
  d.setAuthTag(tag)
  const plain = Buffer.concat([d.update(data), d.final()])
  hash.update(plain)
  // The emitter needs typed values to write them back as the same scalars.
  switch (type) {
    case "str":
      return plain.toString("utf8")
    case "int":
      return BigInt(plain.toString("latin1"))
    case "bool":
      return plain.toString("latin1") === "True"
    case "float":
      return Number(plain.toString("latin1"))
    default:
      throw new Error(`floor: type ${type} not used by the bench fixtures`)
  }
}

function decryptValue(v, aad, key, hash) {
  if (v instanceof TreeBranch) {
    decryptBranch(v, aad, key, hash)
    return v
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = decryptValue(v[i], aad, key, hash)
    return v
  }
  if (typeof v === "string" && v !== "") return decryptLeaf(v, aad, key, hash)
  return v
}

function decryptBranch(branch, prefix, key, hash) {
  for (const item of branch.items) {
    if (item.key instanceof Comment) continue
    item.value = decryptValue(item.value, `${prefix}${item.key}:`, key, hash)
  }
}

/**
 * A floor decryptor for one format and data key: bytes of an encrypted file → plaintext
 * file bytes.
 */
export function floorDecryptor(format, dataKey) {
  const store = storeFor(format)
  const key = createSecretKey(dataKey)
  return (bytes) => {
    const { branches } = store.loadEncrypted(bytes)
    const hash = createHash("sha512")
    for (const b of branches) decryptBranch(b, "", key, hash)
    hash.digest()
    return store.emitPlain(branches)
  }
}

function plainBytes(v) {
  if (typeof v === "string") return { bytes: Buffer.from(v, "utf8"), type: "str" }
  if (typeof v === "bigint") return { bytes: Buffer.from(v.toString(), "latin1"), type: "int" }
  if (typeof v === "boolean") return { bytes: Buffer.from(v ? "True" : "False", "latin1"), type: "bool" }
  if (typeof v === "number") return { bytes: Buffer.from(String(v), "latin1"), type: "float" }
  throw new Error("floor: value type not used by the bench fixtures")
}

function encryptValue(v, aad, key, hash) {
  if (v instanceof TreeBranch) {
    encryptBranch(v, aad, key, hash)
    return v
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = encryptValue(v[i], aad, key, hash)
    return v
  }
  if (v === null || v === "" || v instanceof Comment) return v
  const { bytes, type } = plainBytes(v)
  hash.update(bytes)
  const iv = nextIv()
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 })
  c.setAAD(Buffer.from(aad))
  const data = Buffer.concat([c.update(bytes), c.final()])
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${c.getAuthTag().toString("base64")},type:${type}]`
}

function encryptBranch(branch, prefix, key, hash) {
  for (const item of branch.items) {
    if (item.key instanceof Comment) continue
    item.value = encryptValue(item.value, `${prefix}${item.key}:`, key, hash)
  }
}

/**
 * A floor encryptor: plaintext file bytes → encrypted file bytes, writing `metadata` (a
 * `sops` section taken from a real encrypted file, so the output has the same size) as is.
 */
export function floorEncryptor(format, dataKey, metadata) {
  const store = storeFor(format)
  const key = createSecretKey(dataKey)
  return (bytes) => {
    const branches = store.loadPlain(bytes)
    const hash = createHash("sha512")
    for (const b of branches) encryptBranch(b, "", key, hash)
    hash.digest()
    return store.emitEncrypted(branches, metadata)
  }
}
