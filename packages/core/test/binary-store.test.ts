import { describe, expect, it } from "vitest"
import { SopsError } from "../src/errors.js"
import { createBinaryStore } from "../src/stores/binary.js"
import { TreeBranch, type TreeValue } from "../src/tree.js"

const enc = new TextEncoder()
const dec = new TextDecoder()
const doc = (value: TreeValue, key = "data"): TreeBranch => new TreeBranch([{ key, value }])

function unsupported(fn: () => unknown): SopsError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(SopsError)
    expect((err as SopsError).code).toBe("ERR_UNSUPPORTED_VALUE")
    return err as SopsError
  }
  throw new Error("expected ERR_UNSUPPORTED_VALUE")
}

describe("binary store", () => {
  const store = createBinaryStore()

  it("has format binary", () => {
    expect(store.format).toBe("binary")
  })

  it("loads any bytes as a single data item, without decoding or copying them", () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xc3, 0x28, 0x0a, 0x0d])
    const branches = store.loadPlain(bytes)
    expect(branches).toHaveLength(1)
    expect(branches[0]!.items).toHaveLength(1)
    expect(branches[0]!.items[0]!.key).toBe("data")
    expect(branches[0]!.items[0]!.value).toBe(bytes)
  })

  it("loads an empty file as empty data", () => {
    expect(store.loadPlain(new Uint8Array()) [0]!.get("data")).toEqual(new Uint8Array())
  })

  it("emits the data bytes verbatim (the same array for bytes, UTF-8 for text)", () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x80])
    expect(store.emitPlain(store.loadPlain(bytes))).toBe(bytes)
    expect(store.emitPlain([doc("héllo\n")])).toEqual(enc.encode("héllo\n"))
    // The first data item wins, other items are ignored.
    const two = new TreeBranch([
      { key: "other", value: 1n },
      { key: "data", value: "x" },
      { key: "data", value: "y" },
    ])
    expect(dec.decode(store.emitPlain([two]))).toBe("x")
  })

  it("refuses trees that are not a binary file, with sops' hint", () => {
    const hint = "This is likely not an encrypted binary file? If not, use --output-type to select the correct output type."
    expect(unsupported(() => store.emitPlain([])).message).toContain(hint)
    expect(unsupported(() => store.emitPlain([doc("a"), doc("b")])).message).toContain("exactly one tree branch")
    expect(unsupported(() => store.emitPlain([doc("a", "other")])).message).toContain("no binary data found")
    expect(unsupported(() => store.emitPlain([doc(1n)])).message).toContain("does not have a string value")
    expect(unsupported(() => store.emitPlain([doc(new TreeBranch())])).message).toContain(hint)
  })

  it("cannot extract single values", () => {
    unsupported(() => store.emitValue("x"))
  })

  it("stores the encrypted form as JSON with a trailing sops item", () => {
    const meta = new TreeBranch([{ key: "version", value: "3.13.1" }])
    const out = store.emitEncrypted([doc("ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]")], meta)
    expect(dec.decode(out)).toBe(
      '{\n\t"data": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",\n\t"sops": {\n\t\t"version": "3.13.1"\n\t}\n}\n',
    )
    const loaded = store.loadEncrypted(out)
    expect(loaded.branches).toStrictEqual([doc("ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]")])
    expect(loaded.metadata).toStrictEqual(meta)
    expect(store.hasSopsTopLevelKey(store.loadPlain(out)[0]!)).toBe(false)
  })

  it("uses its own indent option for the envelope", () => {
    const out = createBinaryStore({ indent: 2 }).emitEncrypted([doc("e")], new TreeBranch())
    expect(dec.decode(out)).toBe('{\n  "data": "e",\n  "sops": {}\n}\n')
  })

  it("handles a large payload without copying it and an envelope without extra copies", () => {
    const size = 20 * 1024 * 1024
    const bytes = new Uint8Array(size).fill(0x41)
    const branches = store.loadPlain(bytes)
    expect(store.emitPlain(branches)).toBe(bytes)
    // An envelope holding a large (base64-like) value: the output buffer is exactly sized.
    const big = "ENC[AES256_GCM,data:" + "QUFB".repeat(size / 4) + ",iv:a,tag:b,type:str]"
    const out = store.emitEncrypted([doc(big)], new TreeBranch())
    const loaded = store.loadEncrypted(out)
    expect(out.buffer.byteLength).toBe(out.byteLength)
    expect(loaded.branches[0]!.get("data")).toBe(big)
  })
})
