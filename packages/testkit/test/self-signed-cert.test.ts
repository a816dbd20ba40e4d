import { X509Certificate, createPrivateKey } from "node:crypto"
import { describe, expect, it } from "vitest"
import { createSelfSignedCert } from "../src/emulators/self-signed-cert.js"

describe("createSelfSignedCert", () => {
  it("always yields a certificate OpenSSL parses (the random serial once failed about one run in 256)", () => {
    // 1,000 fresh certificates make a 1-in-256 encoding fault all but certain to show.
    for (let i = 0; i < 1000; i++) {
      const { certPem } = createSelfSignedCert("t", ["localhost"])
      expect(() => new X509Certificate(certPem)).not.toThrow()
    }
  })

  it("is valid for 127.0.0.1 and the DNS names asked for, and its key matches", () => {
    const { certPem, keyPem } = createSelfSignedCert("sops-ts Azure Key Vault emulator", ["vault.vault.azure.net", "localhost"])
    const cert = new X509Certificate(certPem)
    expect(cert.subject).toBe("CN=sops-ts Azure Key Vault emulator")
    expect(cert.checkHost("vault.vault.azure.net")).toBe("vault.vault.azure.net")
    expect(cert.checkHost("localhost")).toBe("localhost")
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1")
    expect(cert.checkHost("other.example")).toBeUndefined()
    expect(cert.checkPrivateKey(createPrivateKey(keyPem))).toBe(true)
    expect(cert.verify(cert.publicKey)).toBe(true)
  })
})
