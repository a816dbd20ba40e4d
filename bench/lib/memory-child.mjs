// Memory child: decrypt one binary-store file with decryptFile, write the plaintext, report
// peak RSS. `node memory-child.mjs <file.enc> <identity-file> <out>`; with no file, only
// imports the libraries (the baseline). Prints `{"maxRssBytes": n}` on stdout.
import { readFileSync, writeFileSync } from "node:fs"
import { decryptFile } from "@sops-ts/core"
import { ageKeyService } from "@sops-ts/age"

const [file, identityFile, out] = process.argv.slice(2)
if (file) {
  const plain = await decryptFile(file, {
    format: "binary",
    keyServices: [ageKeyService({ identities: [readFileSync(identityFile, "utf8")] })],
  })
  writeFileSync(out, plain)
}
// maxRSS is in kilobytes (getrusage ru_maxrss).
process.stdout.write(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }))
