// One measured bulk re-key, in its own process so its peak RSS is its own:
//   node bench/rekey-child.mjs <config-json>
// config: { dir, concurrency, kmsUrl, credentials, addRecipient }
// Prints one JSON line: { wallMs, files, updated, failed, maxRssBytes, firstError }.
//
// The age key service has NO identity: as on a CI runner that holds KMS access but not the
// age private key, every file's data key is unwrapped through the KMS (20 ms per call), and
// the new age recipient is wrapped locally.
import { ageKeyService } from "@sops-ts/age"
import { awsKmsKeyService } from "@sops-ts/aws-kms"
import { newAgeKey } from "@sops-ts/core"
import { rekey } from "@sops-ts/rekey"

const cfg = JSON.parse(process.argv[2])
const kms = awsKmsKeyService({ endpoint: cfg.kmsUrl, credentials: cfg.credentials, maxAttempts: 1 })
const started = performance.now()
const result = await rekey({
  files: [cfg.dir],
  operation: "updatekeys",
  cwd: cfg.dir,
  keyServices: [ageKeyService(), kms],
  concurrency: cfg.concurrency,
  useGit: false,
})
const wallMs = performance.now() - started
kms.close()
process.stdout.write(
  JSON.stringify({
    wallMs,
    files: result.files.length,
    updated: result.totals.updated,
    failed: result.totals.failed,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    firstError: result.files.find((f) => f.error)?.error ?? null,
  }) + "\n",
)
