import { describe, expect, it } from "vitest"
import { splitStderr, summarizeLog } from "../src/gpg-exec.js"

describe("gpg stderr handling", () => {
  it("separates status lines from messages", () => {
    const { log, status } = splitStderr("[GNUPG:] NO_SECKEY ABCDEF\ngpg: decryption failed: No secret key\n\n")
    expect(status).toEqual([{ keyword: "NO_SECKEY", args: ["ABCDEF"] }])
    expect(log).toBe("gpg: decryption failed: No secret key")
  })

  it("keeps session keys and debug output (which can print the DEK) out of error summaries", () => {
    const log = [
      "gpg: session key: '9:00112233445566778899AABBCCDDEEFF'",
      "gpg: DBG: dek: 00112233445566778899AABBCCDDEEFF",
      "gpg: DEK is 00112233445566778899AABBCCDDEEFF",
      "gpg: decryption failed: No secret key",
    ].join("\n")
    const summary = summarizeLog(log)
    expect(summary).toBe("gpg: decryption failed: No secret key")
    expect(summary).not.toContain("00112233")
  })

  it("says so when gpg printed nothing useful, and bounds long output", () => {
    expect(summarizeLog("")).toBe("no message")
    expect(summarizeLog("x".repeat(2000)).length).toBe(500)
  })
})
