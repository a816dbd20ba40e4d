/**
 * The source of `age-plugin-sopstest`, a test age plugin (C2SP age-plugin, plugin side), as a
 * self-contained Node.js ES module. It is written to disk by `installSopstestPlugin` and run
 * by age clients (ours and the real `age` CLI), so it imports nothing but `node:` modules.
 *
 * The scheme is native age X25519 under another stanza type: the recipient `age1sopstest1…`
 * holds `mode ‖ X25519 public key`, the identity `AGE-PLUGIN-SOPSTEST-1…` holds
 * `mode ‖ X25519 scalar`, and the stanza is `sopstest <ephemeral share>` with the file key
 * sealed (ChaCha20-Poly1305, zero nonce) under HKDF-SHA-256(shared secret,
 * salt = share ‖ public key, "sops-ts.test/sopstest").
 *
 * The mode byte (of the first recipient or identity) selects a behaviour, so that each test
 * key drives the client through one path:
 *
 * | mode | behaviour |
 * | --- | --- |
 * | 0 `normal` | wraps / unwraps; sends one grease command first (expects `unsupported`), and `labels` when asked |
 * | 1 `interactive` | sends `msg`, then `request-secret`; goes on only if the answer is `ok` with body `1234`, else sends `error` saying what the client answered |
 * | 2 `error` | sends `error` (`recipient 0` / `identity 0`) |
 * | 3 `malformed` | sends a stanza whose body line is 65 columns long |
 * | 4 `hang` | reads phase 1, then never answers |
 * | 5 `crash` | reads phase 1, writes to stderr, exits with status 3 |
 * | 6 `confirm` | sends `confirm` ("Use it" / "Skip"): `ok yes` goes on, `ok no` declines (no file key / an error), `fail` is an error |
 * @module
 */

/** The program text (ES module). */
export const SOPSTEST_PLUGIN_PROGRAM = String.raw`
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync } from "node:crypto"

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
const LABEL = "sops-ts.test/sopstest"
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex")
const MODES = ["normal", "interactive", "error", "malformed", "hang", "crash", "confirm"]
const ZERO_NONCE = Buffer.alloc(12)

function log(line) {
  process.stderr.write("sopstest: " + line + "\n")
}

function fatal(message) {
  log(message)
  process.exit(1)
}

// ---- Bech32 ----
function polymod(values) {
  let chk = 1
  for (const v of values) {
    const top = chk >>> 25
    chk = ((chk & 0x1ffffff) << 5) ^ v
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i]
  }
  return chk
}
function hrpExpand(hrp) {
  const out = []
  for (const c of hrp) out.push(c.charCodeAt(0) >> 5)
  out.push(0)
  for (const c of hrp) out.push(c.charCodeAt(0) & 31)
  return out
}
function bech32Decode(s) {
  if (s.toLowerCase() !== s && s.toUpperCase() !== s) throw new Error("mixed case")
  const t = s.toLowerCase()
  const pos = t.lastIndexOf("1")
  if (pos < 1 || pos + 7 > t.length) throw new Error("no separator")
  const hrp = t.slice(0, pos)
  const words = []
  for (const c of t.slice(pos + 1)) {
    const v = CHARSET.indexOf(c)
    if (v < 0) throw new Error("invalid character")
    words.push(v)
  }
  if (polymod([...hrpExpand(hrp), ...words]) !== 1) throw new Error("bad checksum")
  const bytes = []
  let acc = 0
  let bits = 0
  for (const v of words.slice(0, -6)) {
    acc = (acc << 5) | v
    bits += 5
    if (bits >= 8) {
      bits -= 8
      bytes.push((acc >> bits) & 0xff)
    }
    acc &= (1 << bits) - 1
  }
  if (bits >= 5 || acc !== 0) throw new Error("invalid padding")
  return { hrp, data: Buffer.from(bytes) }
}

// ---- keys ----
function parseKey(text, wantHrp, upper) {
  const { hrp, data } = bech32Decode(text)
  if (hrp !== wantHrp) throw new Error("not a sopstest key")
  if (upper && text !== text.toUpperCase()) throw new Error("identities are uppercase")
  if (data.length !== 33 || data[0] >= MODES.length) throw new Error("wrong key length or mode")
  return { mode: MODES[data[0]], key: data.subarray(1) }
}
function publicKeyObject(raw) {
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: raw.toString("base64url") }, format: "jwk" })
}
function privateKeyObject(scalar) {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: "der", type: "pkcs8" })
}
function publicBytes(keyObject) {
  const pub = keyObject.type === "public" ? keyObject : createPublicKey(keyObject)
  return Buffer.from(pub.export({ format: "jwk" }).x, "base64url")
}
function wrapKey(shared, share, pub) {
  return Buffer.from(hkdfSync("sha256", shared, Buffer.concat([share, pub]), LABEL, 32))
}
function wrap(pub, fileKey) {
  // The generation encodes the public half: exporting it later can deadlock Node 20.
  const eph = generateKeyPairSync("x25519", { publicKeyEncoding: { format: "jwk" } })
  const share = Buffer.from(eph.publicKey.x, "base64url")
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: publicKeyObject(pub) })
  const c = createCipheriv("chacha20-poly1305", wrapKey(shared, share, pub), ZERO_NONCE, { authTagLength: 16 })
  const body = Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()])
  return { args: ["sopstest", b64(share)], body }
}
function unwrap(scalar, args, body) {
  const priv = privateKeyObject(scalar)
  const share = unb64(args[0])
  if (share === null || share.length !== 32 || body.length !== 32) return { invalid: true }
  let shared
  try {
    shared = diffieHellman({ privateKey: priv, publicKey: publicKeyObject(share) })
  } catch {
    return { invalid: true }
  }
  const d = createDecipheriv("chacha20-poly1305", wrapKey(shared, share, publicBytes(priv)), ZERO_NONCE, { authTagLength: 16 })
  d.setAuthTag(body.subarray(16))
  try {
    return { fileKey: Buffer.concat([d.update(body.subarray(0, 16)), d.final()]) }
  } catch {
    return { fileKey: null }
  }
}

// ---- stanza I/O ----
function b64(bytes) {
  return Buffer.from(bytes).toString("base64").replace(/=+$/, "")
}
function unb64(s) {
  if (!/^[A-Za-z0-9+/]*$/.test(s)) return null
  const b = Buffer.from(s, "base64")
  return b64(b) === s ? b : null
}
// A client that stops reading (after an error) closes the pipe: that ends the session.
process.stdout.on("error", () => process.exit(0))
const input = { buf: "", ended: false, waiters: [] }
process.stdin.setEncoding("latin1")
process.stdin.on("data", (d) => {
  input.buf += d
  for (const w of input.waiters.splice(0)) w()
})
process.stdin.on("end", () => {
  input.ended = true
  for (const w of input.waiters.splice(0)) w()
})
async function readLine() {
  for (;;) {
    const i = input.buf.indexOf("\n")
    if (i >= 0) {
      const line = input.buf.slice(0, i)
      input.buf = input.buf.slice(i + 1)
      return line
    }
    if (input.ended) fatal("unexpected end of input")
    await new Promise((resolve) => input.waiters.push(resolve))
  }
}
async function readStanza() {
  const parts = (await readLine()).split(" ")
  if (parts[0] !== "->" || parts.length < 2 || parts.slice(1).some((a) => a === "")) fatal("malformed stanza line")
  const chunks = []
  for (;;) {
    const line = await readLine()
    const chunk = line.length <= 64 ? unb64(line) : null
    if (chunk === null) fatal("malformed body line")
    chunks.push(chunk)
    if (chunk.length < 48) break
  }
  return { type: parts[1], args: parts.slice(2), body: Buffer.concat(chunks) }
}
function writeStanza(type, args = [], body = Buffer.alloc(0)) {
  const encoded = b64(body)
  let out = "-> " + [type, ...args].join(" ") + "\n"
  for (let i = 0; i < encoded.length; i += 64) out += encoded.slice(i, i + 64) + "\n"
  if (encoded.length % 64 === 0) out += "\n"
  process.stdout.write(out)
}
async function ask(type, args = [], body = Buffer.alloc(0)) {
  writeStanza(type, args, body)
  return await readStanza()
}
function finish() {
  writeStanza("done")
  process.stdin.destroy()
}
async function phase1() {
  const commands = []
  for (;;) {
    const s = await readStanza()
    if (s.type === "done") return commands
    commands.push(s)
  }
}

// ---- behaviours shared by both state machines ----
/** Runs the mode's interaction; returns true to go on, false to decline, or sends an error. */
async function interact(mode, errorArgs) {
  if (mode === "normal") {
    const r = await ask("grease-sopstest", ["x"], Buffer.from("grease"))
    if (r.type !== "unsupported") return fail(errorArgs, "expected unsupported to grease, got " + r.type)
    return true
  }
  if (mode === "interactive") {
    const m = await ask("msg", [], Buffer.from("touch the imaginary sopstest key"))
    if (m.type !== "ok" && m.type !== "fail") return fail(errorArgs, "client answered " + m.type + " to msg")
    const r = await ask("request-secret", [], Buffer.from("sopstest PIN"))
    if (r.type === "ok" && r.body.toString("utf8") === "1234") return true
    if (r.type === "ok") return fail(errorArgs, "wrong PIN")
    return fail(errorArgs, "client answered " + r.type + " to request-secret")
  }
  if (mode === "confirm") {
    const r = await ask("confirm", [b64(Buffer.from("Use it")), b64(Buffer.from("Skip"))], Buffer.from("use the sopstest key?"))
    if (r.type === "ok" && r.args[0] === "yes") return true
    if (r.type === "ok" && r.args[0] === "no") return false
    return fail(errorArgs, "client answered " + r.type + " to confirm")
  }
  if (mode === "error") return fail(errorArgs, "this sopstest key is disabled")
  if (mode === "malformed") {
    process.stdout.write("-> msg\n" + "A".repeat(65) + "\n\n")
    return null
  }
  if (mode === "hang") {
    setInterval(() => {}, 1 << 30)
    return null
  }
  if (mode === "crash") {
    log("crashing on purpose")
    process.exit(3)
  }
  return true
}
async function fail(errorArgs, message) {
  const r = await ask("error", errorArgs, Buffer.from("sopstest: " + message))
  if (r.type !== "ok") log("expected ok to error, got " + r.type)
  finish()
  return null
}

// ---- recipient-v1 ----
async function recipientV1() {
  const commands = await phase1()
  const pubs = []
  const fileKeys = []
  let labels = false
  let mode = null
  for (const c of commands) {
    if (c.type === "add-recipient") {
      const k = parseKey(c.args[0], "age1sopstest", false)
      mode ??= k.mode
      pubs.push(k.key)
    } else if (c.type === "add-identity") {
      const k = parseKey(c.args[0], "age-plugin-sopstest-", true)
      mode ??= k.mode
      pubs.push(publicBytes(privateKeyObject(k.key)))
    } else if (c.type === "wrap-file-key") fileKeys.push(c.body)
    else if (c.type === "extension-labels") labels = true
    // Anything else (grease) is ignored in this uni-directional phase.
  }
  if (pubs.length === 0 || fileKeys.length === 0) fatal("nothing to wrap")
  log("recipient-v1 started (" + mode + ")")
  const go = await interact(mode, ["recipient", "0"])
  if (go === null) return
  if (go === false) return void (await fail(["recipient", "0"], "declined by the user"))
  if (labels) {
    const r = await ask("labels")
    if (r.type !== "ok") fatal("expected ok to labels")
  }
  for (let i = 0; i < fileKeys.length; i++) {
    for (const pub of pubs) {
      const s = wrap(pub, fileKeys[i])
      const r = await ask("recipient-stanza", [String(i), ...s.args], s.body)
      if (r.type !== "ok") fatal("expected ok to recipient-stanza")
    }
  }
  finish()
}

// ---- identity-v1 ----
async function identityV1() {
  const commands = await phase1()
  const scalars = []
  const files = []
  let mode = null
  for (const c of commands) {
    if (c.type === "add-identity") {
      const k = parseKey(c.args[0], "age-plugin-sopstest-", true)
      mode ??= k.mode
      scalars.push(k.key)
    } else if (c.type === "recipient-stanza") {
      const index = Number(c.args[0])
      files[index] ??= []
      files[index].push({ type: c.args[1], args: c.args.slice(2), body: c.body })
    }
  }
  if (scalars.length === 0) fatal("no identities")
  log("identity-v1 started (" + mode + ")")
  const go = await interact(mode, ["identity", "0"])
  if (go === null) return
  if (go === false) return finish()
  for (let f = 0; f < files.length; f++) {
    const stanzas = files[f] ?? []
    let fileKey = null
    for (let i = 0; i < stanzas.length && fileKey === null; i++) {
      const s = stanzas[i]
      if (s.type !== "sopstest") continue
      for (const scalar of scalars) {
        const out = s.args.length === 1 ? unwrap(scalar, s.args, s.body) : { invalid: true }
        if (out.invalid) {
          await ask("error", ["stanza", String(f), String(i)], Buffer.from("sopstest: invalid sopstest stanza"))
          break
        }
        if (out.fileKey !== null) {
          fileKey = out.fileKey
          break
        }
      }
    }
    if (fileKey !== null) {
      const r = await ask("file-key", [String(f)], fileKey)
      if (r.type !== "ok") fatal("expected ok to file-key")
    }
  }
  finish()
}

const machine = process.argv.slice(2).find((a) => a.startsWith("--age-plugin="))
if (machine === "--age-plugin=recipient-v1") await recipientV1()
else if (machine === "--age-plugin=identity-v1") await identityV1()
else fatal("unknown state machine " + String(machine))
`
