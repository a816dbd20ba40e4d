import { describe, expect, it } from "vitest"
import * as pgp from "../src/index.js"

describe("@sops-ts/pgp public surface", () => {
  it("exports exactly the documented functions", () => {
    expect(Object.keys(pgp).sort()).toEqual(
      ["armorMessage", "gpgKeyService", "parseKeySelector", "pgpDefaultKeyService", "pgpKeyService", "shortenFingerprint"].sort(),
    )
    for (const value of Object.values(pgp)) expect(typeof value).toBe("function")
  })

  it("names its services", () => {
    expect(pgp.pgpKeyService().name).toBe("pgp (openpgp.js)")
    expect(pgp.gpgKeyService({ homeDir: "/tmp/x" }).name).toBe("gpg (/tmp/x)")
  })
})
