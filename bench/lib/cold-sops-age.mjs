// Cold-start child for the peer: import sops-age, decrypt one file, exit.
// `node cold-sops-age.mjs <file.enc.yaml> <identity-file>`.
import { readFileSync } from "node:fs"
import { decryptSops } from "sops-age"

const [file, identityFile] = process.argv.slice(2)
const identity = readFileSync(identityFile, "utf8").split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-"))
const out = await decryptSops(readFileSync(file, "utf8"), { secretKey: identity, fileType: "yaml" })
if (Object.keys(out).length === 0) process.exit(2)
