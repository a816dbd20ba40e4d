/**
 * Key-service addresses as written after `--keyservice` / in `SOPS_KEYSERVICE`
 * (spec section 10: `tcp://host:port` and `unix:///path`).
 * @module
 */

/** A parsed key-service address. */
export interface KeyServiceAddress {
  /** `tcp` for `tcp://` (also `tcp4://` and `tcp6://`, which Go sops passes to its dialer), `unix` for sockets. */
  readonly network: "tcp" | "unix"
  /** `host:port` or the absolute socket path. */
  readonly address: string
  /** The gRPC channel target (`dns:host:port`, `unix:///path`). */
  readonly target: string
  /** The URI as given (for messages). */
  readonly uri: string
}

function warnInvalid(uri: string, reason: string, warn: ((message: string) => void) | undefined): null {
  warn?.(`Error parsing URI for keyservice, skipping: ${JSON.stringify(uri)}: ${reason}`)
  return null
}

/**
 * Parses a key-service URI. sops skips an address it cannot use with a warning instead of
 * failing the command; this returns null and passes the warning text to `warn`.
 * @param uri - `tcp://host:port` or `unix:///absolute/path`
 * @param warn - receives the warning for an invalid URI
 * @returns the address, or null when the URI is not usable
 * @example
 * ```ts
 * parseKeyServiceUri("tcp://127.0.0.1:5000") // { network: "tcp", address: "127.0.0.1:5000", ... }
 * parseKeyServiceUri("unix:///run/sops.sock") // { network: "unix", address: "/run/sops.sock", ... }
 * ```
 */
export function parseKeyServiceUri(uri: string, warn?: (message: string) => void): KeyServiceAddress | null {
  const s = uri.trim()
  const colon = s.indexOf(":")
  if (colon <= 0) return warnInvalid(uri, "expected tcp://host:port or unix:///path", warn)
  const scheme = s.slice(0, colon).toLowerCase()
  if (scheme === "unix") {
    // `unix:///path` (empty authority) and `unix:/path` both name an absolute path.
    let rest = s.slice(colon + 1)
    if (rest.startsWith("//")) {
      rest = rest.slice(2)
      if (!rest.startsWith("/")) return warnInvalid(uri, "a unix socket URI has no host: use unix:///absolute/path", warn)
    }
    if (!rest.startsWith("/") || rest.length < 2) return warnInvalid(uri, "the socket path must be absolute (unix:///path)", warn)
    let path: string
    try {
      path = decodeURIComponent(rest)
    } catch {
      return warnInvalid(uri, "the socket path is not valid percent-encoding", warn)
    }
    return { network: "unix", address: path, target: `unix://${path}`, uri }
  }
  if (scheme !== "tcp" && scheme !== "tcp4" && scheme !== "tcp6") {
    return warnInvalid(uri, `unsupported scheme ${JSON.stringify(scheme)} (use tcp:// or unix://)`, warn)
  }
  let url: URL
  try {
    url = new URL(s)
  } catch {
    return warnInvalid(uri, "not a valid URL", warn)
  }
  if (url.hostname === "") return warnInvalid(uri, "missing host", warn)
  if (url.port === "") return warnInvalid(uri, "missing port", warn)
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "" || url.username !== "") {
    return warnInvalid(uri, "expected only host:port after tcp://", warn)
  }
  const address = `${url.hostname}:${url.port}`
  return { network: "tcp", address, target: `dns:${address}`, uri }
}
