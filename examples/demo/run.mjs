// `npm run demo`: decrypts the bundled example with the bundled demo age key and prints it.
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"
import { decryptFile } from "@sops-ts/core"
import { ageKeyService } from "@sops-ts/age"

const here = (name) => fileURLToPath(new URL(name, import.meta.url))

// The identity is passed in explicitly: nothing is read from the environment.
const identity = await readFile(here("age-key.txt"), "utf8")
const plaintext = await decryptFile(here("secrets.enc.yaml"), {
  keyServices: [ageKeyService({ identities: [identity] })],
})

process.stdout.write("Decrypted examples/demo/secrets.enc.yaml (MAC verified):\n\n")
process.stdout.write(plaintext)
