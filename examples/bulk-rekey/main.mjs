// A script that re-keys many files at once: it builds a small repository of 200 encrypted
// files, then adds a second age recipient to every one of them with one `rekey` call —
// concurrent, atomic per file, resumable through a journal, with progress reports.
//
// Run: node examples/bulk-rekey/main.mjs
import { mkdtemp, mkdir, writeFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { decryptToText, encrypt } from "@sops-ts/core"
import { ageKeyService, generateAgeIdentity } from "@sops-ts/age"
import { rekey } from "@sops-ts/rekey"

const repo = await mkdtemp(join(tmpdir(), "sops-ts-bulk-rekey-"))
const alice = await generateAgeIdentity()
const carol = await generateAgeIdentity()
const keyServices = [ageKeyService({ identities: [alice.identity] })]

try {
  // 1. A repository of 200 secrets, encrypted to Alice only.
  for (let i = 0; i < 200; i++) {
    const dir = join(repo, `apps/app-${i % 10}`)
    await mkdir(dir, { recursive: true })
    const plain = `db_password: pw-${i}\napi_token: tok-${i}\n`
    const enc = await encrypt(plain, { format: "yaml", keys: [{ type: "age", recipient: alice.recipient, enc: "" }], keyServices })
    await writeFile(join(dir, `secret-${i}.enc.yaml`), enc)
  }
  await writeFile(join(repo, "README.md"), "not a sops file: skipped\n")

  // 2. Carol joins: add her recipient to every file that lacks it, 32 files at a time.
  let lastShown = 0
  const result = await rekey({
    files: [repo],
    operation: "add",
    addKeys: [{ type: "age", recipient: carol.recipient, enc: "" }],
    keyServices,
    concurrency: 32,
    journal: join(repo, ".rekey-journal.jsonl"),
    onProgress: (p) => {
      if (p.done - lastShown >= 50 || p.done === p.total) {
        lastShown = p.done
        console.log(`progress: ${p.done}/${p.total} files, ${p.failed} failed`)
      }
    },
  })
  console.log(`updated: ${result.totals.updated}, not sops: ${result.totals["not-sops"]}, failed: ${result.totals.failed}`)

  // 3. Carol can now open any of them; the values did not change.
  const sample = join(repo, "apps/app-7/secret-77.enc.yaml")
  const text = await decryptToText(await (await import("node:fs/promises")).readFile(sample), {
    format: "yaml",
    keyServices: [ageKeyService({ identities: [carol.identity] })],
  })
  console.log(text.includes("db_password: pw-77") ? "carol decrypts secret-77: ok" : "carol decrypts secret-77: FAILED")

  // 4. Running it again changes nothing: the journal and the key lists say every file is done.
  const again = await rekey({ files: [repo], operation: "add", addKeys: [{ type: "age", recipient: carol.recipient, enc: "" }], keyServices, journal: join(repo, ".rekey-journal.jsonl") })
  console.log(`second run updated: ${again.totals.updated}`)
} finally {
  await rm(repo, { recursive: true, force: true })
}
