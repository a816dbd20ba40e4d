/**
 * The context of sops' identity discovery and `<UserConfigDir>`, kept apart from the
 * discovery code so that importing the package does not load it (nor `node:child_process`).
 * @module
 */
import { isAbsolute, join } from "node:path"
import type { SshPassphraseCallback } from "./internal/locked-ssh-identity.js"

/** Where discovery reads from. */
export interface DiscoveryContext {
  readonly env: Readonly<Record<string, string | undefined>>
  /** The home directory; default: `HOME` (`USERPROFILE` on Windows) from `env`. */
  readonly homeDir?: string | undefined
  /** Default: `process.platform`. */
  readonly platform?: NodeJS.Platform | undefined
  /** Unlocks passphrase-encrypted identity files; without it they are a load error. */
  readonly passphrase?: ((source: string) => string | Promise<string>) | undefined
  /**
   * Unlocks passphrase-protected SSH keys (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_*`),
   * asked only when a file has a stanza for the key; without it such keys never open.
   */
  readonly sshPassphrase?: SshPassphraseCallback | undefined
  readonly signal?: AbortSignal | undefined
}

/** The home directory of a discovery context, if known. @internal */
export function homeOf(ctx: DiscoveryContext): string | undefined {
  if (ctx.homeDir !== undefined) return ctx.homeDir
  const platform = ctx.platform ?? process.platform
  const home = platform === "win32" ? ctx.env["USERPROFILE"] : ctx.env["HOME"]
  return home === "" ? undefined : home
}

/**
 * `<UserConfigDir>` as sops computes it: Go's `os.UserConfigDir`, except that macOS also
 * honours `XDG_CONFIG_HOME`.
 * @returns the directory, or an error message when it cannot be determined
 */
export function userConfigDir(ctx: DiscoveryContext): { dir: string } | { error: string } {
  const platform = ctx.platform ?? process.platform
  const xdg = ctx.env["XDG_CONFIG_HOME"]
  if (platform === "win32") {
    const appData = ctx.env["AppData"] ?? ctx.env["APPDATA"]
    return appData ? { dir: appData } : { error: "%AppData% is not defined" }
  }
  if (xdg !== undefined && xdg !== "") {
    if (platform !== "darwin" && !isAbsolute(xdg)) return { error: "path in $XDG_CONFIG_HOME is relative" }
    return { dir: xdg }
  }
  const home = homeOf(ctx)
  if (home === undefined) return { error: "neither $XDG_CONFIG_HOME nor $HOME are defined" }
  return { dir: platform === "darwin" ? join(home, "Library", "Application Support") : join(home, ".config") }
}
