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
// Peak RSS of this process alone. On Linux, ru_maxrss survives execve, so a child forked from
// the (large) benchmark process would report the parent's RSS at fork time: read the peak of
// our own address space (VmHWM) instead. Elsewhere, getrusage's maxRSS (in kilobytes).
function peakRssBytes() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"))
    if (m) return Number(m[1]) * 1024
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024
}
process.stdout.write(JSON.stringify({ maxRssBytes: peakRssBytes() }))
