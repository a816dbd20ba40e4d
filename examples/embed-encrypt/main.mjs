// A tool that encrypts with keys passed in: no environment variable, no .sops.yaml, no
// identity file is read. It encrypts a document to two age recipients, decrypts it with one
// of them, and rotates the data key.
import { decryptToText, encrypt, rotate } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"

const alice = await generateAgeIdentity()
const bob = await generateAgeIdentity()

const plaintext = `# service credentials
api_key: s3cr3t
endpoint_unencrypted: https://api.example.com
`

const encrypted = await encrypt(plaintext, {
  format: "yaml",
  keys: [
    { type: "age", recipient: alice.recipient, enc: "" },
    { type: "age", recipient: bob.recipient, enc: "" },
  ],
  keyServices: [ageKeyService()],
})
const text = new TextDecoder().decode(encrypted)
console.log(text.split("\n").slice(0, 3).join("\n") + "\n...")

// Bob alone can open it.
const back = await decryptToText(encrypted, { format: "yaml", keyServices: [ageKeyService({ identities: [bob.identity] })] })
console.log(back === plaintext ? "round trip: identical plaintext" : "round trip: DIFFERENT")

// Rotate the data key and drop Alice.
const rotated = await rotate(encrypted, {
  format: "yaml",
  keyServices: [ageKeyService({ identities: [bob.identity] })],
  removeKeys: [{ type: "age", recipient: alice.recipient, enc: "" }],
})
const stillBob = await decryptToText(rotated, { format: "yaml", keyServices: [ageKeyService({ identities: [bob.identity] })] })
console.log(stillBob === plaintext ? "after rotation: Bob still decrypts" : "after rotation: FAILED")
try {
  await decryptToText(rotated, { format: "yaml", keyServices: [ageKeyService({ identities: [alice.identity] })] })
  console.log("after rotation: Alice can STILL decrypt (unexpected)")
} catch (err) {
  console.log(`after rotation: Alice is refused (${err.code})`)
}
