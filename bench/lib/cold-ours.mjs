// Cold-start child: import @sops-ts/core and @sops-ts/age, decrypt one file, exit.
// `node cold-ours.mjs <file.enc.yaml> <identity-file>`. With BENCH_LIST_MODULES=<path>, also
// writes every CommonJS module in require.cache there (ESM modules are logged by
// module-log.mjs).
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { decryptFile } from "@sops-ts/core"
import { ageKeyService } from "@sops-ts/age"

const [file, identityFile] = process.argv.slice(2)
const out = await decryptFile(file, { keyServices: [ageKeyService({ identities: [readFileSync(identityFile, "utf8")] })] })
if (out.length === 0) process.exit(2)
if (process.env.BENCH_LIST_MODULES) {
  writeFileSync(process.env.BENCH_LIST_MODULES, Object.keys(createRequire(import.meta.url).cache).join("\n"))
}
