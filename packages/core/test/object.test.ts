import { describe, expect, it } from "vitest"
import { objectToTree, treeToObject } from "../src/api/object.js"
import { SopsError } from "../src/errors.js"
import { TreeBranch } from "../src/tree.js"

describe("treeToObject / objectToTree", () => {
  it("round-trips nested plain values", () => {
    const obj = { a: "x", n: 5, f: 1.5, b: true, nil: null, list: [1, "two", { c: 3 }], big: 2n ** 70n }
    expect(treeToObject(objectToTree(obj))).toEqual(obj)
  })

  it("turns a file's __proto__ key into an own property, never the prototype", () => {
    const tree = new TreeBranch([{ key: "__proto__", value: new TreeBranch([{ key: "isAdmin", value: true }]) }])
    const o = treeToObject(tree) as Record<string, unknown>
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype)
    expect((o as { isAdmin?: unknown }).isAdmin).toBeUndefined()
    expect(Object.keys(o)).toEqual(["__proto__"])
    expect(Object.getOwnPropertyDescriptor(o, "__proto__")?.value).toEqual({ isAdmin: true })
  })

  it("rejects an object that contains itself with ERR_UNSUPPORTED_VALUE, naming the path", () => {
    const o: Record<string, unknown> = { a: { b: [] as unknown[] } }
    ;((o["a"] as { b: unknown[] }).b).push(o)
    let err: unknown
    try {
      objectToTree(o)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(SopsError)
    expect(err).toMatchObject({ code: "ERR_UNSUPPORTED_VALUE", message: expect.stringContaining("(root).a.b[0]") })
  })

  it("accepts the same object twice when it is not its own ancestor", () => {
    const shared = { k: "v" }
    expect(treeToObject(objectToTree({ x: shared, y: [shared, shared] }))).toEqual({ x: shared, y: [shared, shared] })
  })
})
