/**
 * The commands that fix findings. They name `sops` by default (the policy's `sops_command`
 * can say `sops-ts`); both accept the same flags.
 * @module
 */
import type { KeyRef } from "./model.js"

/** Quotes a shell word when it needs it (POSIX single quotes). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`
}

/** sops' `--add-*`/`--rm-*` flag suffix per key type. */
const FLAG: Record<KeyRef["type"], string> = {
  age: "age",
  pgp: "pgp",
  kms: "kms",
  gcp_kms: "gcp-kms",
  azure_kv: "azure-kv",
  hc_vault: "hc-vault-transit",
  hckms: "hckms",
}

/** The value sops' `--rm-*`/`--add-*` flags take for a key (kms: the bare ARN). */
function flagValue(k: KeyRef): string {
  if (k.type === "kms") return k.id.split(/[+|]/)[0]!
  return k.id
}

/** Builds fix commands for one audit run. */
export class FixCommands {
  /** @param sops - the program to name (`sops` or `sops-ts`) */
  constructor(private readonly sops: string) {}

  /** Encrypt a plaintext file in place; `regex` limits encryption to Kubernetes data fields. */
  encrypt(path: string, opts: { readonly recipient?: string; readonly encryptedRegex?: string }): string {
    const parts = [this.sops, "--encrypt"]
    if (opts.recipient !== undefined) parts.push("--age", shellQuote(opts.recipient))
    if (opts.encryptedRegex !== undefined) parts.push("--encrypted-regex", shellQuote(opts.encryptedRegex))
    parts.push("--in-place", shellQuote(path))
    return parts.join(" ")
  }

  /** Re-wrap the data key for the keys `.sops.yaml` requires now. */
  updatekeys(path: string): string {
    return `${this.sops} updatekeys --yes ${shellQuote(path)}`
  }

  /** New data key, optionally adding and removing master keys. */
  rotate(path: string, opts: { readonly add?: readonly KeyRef[]; readonly remove?: readonly KeyRef[]; readonly ignoreMac?: boolean } = {}): string {
    const parts = [this.sops, "rotate", "--in-place"]
    if (opts.ignoreMac) parts.push("--ignore-mac")
    for (const k of opts.add ?? []) parts.push(`--add-${FLAG[k.type]}`, shellQuote(flagValue(k)))
    for (const k of opts.remove ?? []) parts.push(`--rm-${FLAG[k.type]}`, shellQuote(flagValue(k)))
    parts.push(shellQuote(path))
    return parts.join(" ")
  }

  /** Decrypt and re-encrypt (new version stamp, options from `.sops.yaml`). */
  reencrypt(path: string): string {
    const p = shellQuote(path)
    return `${this.sops} --decrypt --in-place ${p} && ${this.sops} --encrypt --in-place ${p}`
  }

  /** Open the file in the editor. */
  edit(path: string): string {
    return `${this.sops} edit ${shellQuote(path)}`
  }

  /** Restore the last committed version. */
  restore(path: string, commit = "HEAD"): string {
    return `git restore --source=${commit} -- ${shellQuote(path)}`
  }

  /** Decrypt with the available keys (what `--verify` ran). */
  decrypt(path: string): string {
    return `${this.sops} --decrypt ${shellQuote(path)} > /dev/null`
  }

  /** Remove a file from all of history (after rotating the leaked credentials). */
  purgeHistory(path: string): string {
    return `git filter-repo --invert-paths --path ${shellQuote(path)}`
  }
}
