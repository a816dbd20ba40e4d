/** Small helpers shared by the age tests. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { AgeMasterKey } from "@sops-ts/core"

/** An age master key as the core hands it to the service. */
export function ageKey(recipient: string, enc = ""): AgeMasterKey {
  return { type: "age", recipient, enc }
}

/** A fresh temporary directory; `cleanup()` removes it. */
export function tempDir(prefix = "sops-ts-age-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Decodes bytes as UTF-8 text (test vectors hold ASCII). */
export function text(bytes: Uint8Array | null): string {
  if (bytes === null) throw new Error("expected bytes, got null")
  return new TextDecoder().decode(bytes)
}
