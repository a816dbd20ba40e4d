/**
 * `sops keyservice`: the command-line front of {@link startKeyServiceServer}, for the CLI to
 * mount. Flags as in sops: `--network|--net tcp|unix`, `--address|--addr`, `--prompt`,
 * `--verbose`.
 * @module
 */
import { isAbsolute, resolve } from "node:path"
import { describeKey, type KeyService } from "@sops-ts/core"
import { startKeyServiceServer, type KeyServiceRequest } from "./server.js"

/** Something text can be written to. */
export interface KeyServiceCommandWritable {
  write(chunk: string | Uint8Array): unknown
}

/** The process boundary of {@link runKeyServiceCommand} (structurally the CLI's `CliIo`). */
export interface KeyServiceCommandIo {
  /** Answers to `--prompt` questions are read from here, one line each. */
  readonly stdin?: AsyncIterable<Uint8Array | string>
  readonly stdout: KeyServiceCommandWritable
  readonly stderr: KeyServiceCommandWritable
  readonly env: Readonly<Record<string, string | undefined>>
  /** Relative unix socket paths resolve against this directory. */
  readonly cwd: string
  /** Stops the server like SIGINT does (tests; embedding). */
  readonly signal?: AbortSignal
  /** Called once the server listens, with `tcp://host:port` or `unix:///path`. */
  readonly onListening?: (url: string) => void
}

const USAGE = `NAME:
   sops keyservice - start a SOPS key service server

USAGE:
   sops keyservice [command options]

OPTIONS:
   --network value, --net value  network to listen on, e.g. 'tcp' or 'unix' (default: "tcp")
   --address value, --addr value address to listen on, e.g. '127.0.0.1:5000' or '/tmp/sops.sock' (default: "127.0.0.1:5000")
   --prompt                      Prompt user to confirm every incoming request
   --verbose                     Enable verbose logging output
   --help, -h                    show help
`

interface Parsed {
  network: string
  address: string
  prompt: boolean
  verbose: boolean
  help: boolean
}

const VALUE_FLAGS: Readonly<Record<string, "network" | "address">> = { network: "network", net: "network", address: "address", addr: "address" }
const BOOL_FLAGS: Readonly<Record<string, "prompt" | "verbose" | "help">> = { prompt: "prompt", verbose: "verbose", help: "help", h: "help" }
const TRUE = new Set(["1", "t", "true", "T", "TRUE", "True"])
const FALSE = new Set(["0", "f", "false", "F", "FALSE", "False"])

/** Go-flag style parsing: `-x`, `--x`, `--x=v`, `--x v`. */
function parseFlags(argv: readonly string[]): Parsed | string {
  const out: Parsed = { network: "tcp", address: "127.0.0.1:5000", prompt: false, verbose: false, help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith("-") || arg === "-" || arg === "--") return `unexpected argument ${JSON.stringify(arg)}`
    const body = arg.replace(/^--?/, "")
    const eq = body.indexOf("=")
    const name = eq === -1 ? body : body.slice(0, eq)
    const inline = eq === -1 ? undefined : body.slice(eq + 1)
    const vf = VALUE_FLAGS[name]
    const bf = BOOL_FLAGS[name]
    if (vf) {
      const v = inline ?? argv[++i]
      if (v === undefined) return `flag needs an argument: -${name}`
      out[vf] = v
    } else if (bf) {
      if (inline === undefined || TRUE.has(inline)) out[bf] = true
      else if (FALSE.has(inline)) out[bf] = false
      else return `invalid boolean value ${JSON.stringify(inline)} for -${name}`
    } else {
      return `flag provided but not defined: -${name}`
    }
  }
  return out
}

/** Reads answer lines from stdin; null at end of input. */
function lineReader(input: AsyncIterable<Uint8Array | string>): () => Promise<string | null> {
  const it = input[Symbol.asyncIterator]()
  const decoder = new TextDecoder()
  let buf = ""
  let done = false
  return async () => {
    for (;;) {
      const nl = buf.indexOf("\n")
      if (nl !== -1) {
        const line = buf.slice(0, nl).replace(/\r$/, "")
        buf = buf.slice(nl + 1)
        return line
      }
      if (done) {
        if (buf === "") return null
        const line = buf
        buf = ""
        return line
      }
      const r = await it.next()
      if (r.done) done = true
      else buf += typeof r.value === "string" ? r.value : decoder.decode(r.value, { stream: true })
    }
  }
}

/**
 * The `--prompt` hook: asks on stdout and reads y/n from stdin, one request at a time. End of
 * input refuses (fail closed).
 */
function promptApprover(io: KeyServiceCommandIo): (req: KeyServiceRequest) => Promise<boolean> {
  const readLine = io.stdin ? lineReader(io.stdin) : async (): Promise<null> => null
  let queue: Promise<unknown> = Promise.resolve()
  return (req) => {
    const ask = async (): Promise<boolean> => {
      for (;;) {
        io.stdout.write(`\nReceived ${req.operation} request using ${describeKey(req.key)}. Respond to request? (y/n): `)
        const line = await readLine()
        if (line === null) return false
        const answer = line.trim()
        if (answer === "y") return true
        if (answer === "n") return false
      }
    }
    const result = queue.then(ask)
    queue = result.catch(() => undefined)
    return result
  }
}

/**
 * Runs `sops keyservice [flags]` until SIGINT/SIGTERM (or `io.signal`), serving
 * `keyServices` (the CLI passes its local age, PGP and cloud providers).
 * @param argv - the arguments after `keyservice`
 * @returns the exit code: 0 after a clean shutdown, 1 on a usage or listen error
 */
export async function runKeyServiceCommand(argv: readonly string[], io: KeyServiceCommandIo, keyServices: readonly KeyService[]): Promise<number> {
  const say = (line: string): void => void io.stderr.write(line + "\n")
  const flags = parseFlags(argv)
  if (typeof flags === "string") {
    say(`Incorrect Usage: ${flags}\n`)
    io.stderr.write(USAGE)
    return 1
  }
  if (flags.help) {
    io.stdout.write(USAGE)
    return 0
  }
  if (flags.network !== "tcp" && flags.network !== "unix") {
    say(`Error running keyservice: unsupported network ${JSON.stringify(flags.network)} (use tcp or unix)`)
    return 1
  }
  const network = flags.network
  const address = network === "unix" && !isAbsolute(flags.address) ? resolve(io.cwd, flags.address) : flags.address
  const log = (line: string): void => say(`[KEYSERVICE] ${line}`)

  let server
  try {
    server = await startKeyServiceServer({
      keyServices,
      network,
      address,
      ...(flags.prompt ? { approve: promptApprover(io) } : {}),
      // Per-request lines only with --verbose, like sops' debug logging.
      log: (line) => {
        if (flags.verbose || line.startsWith("Listening on ")) log(line)
      },
    })
  } catch (err) {
    say(`Error running keyservice: ${err instanceof Error ? err.message : String(err)}`)
    return 1
  }
  const url = `${network}://${server.address}`
  io.onListening?.(url)

  const reason = await new Promise<string>((done) => {
    const onSignal = (sig: NodeJS.Signals): void => finish(`Caught signal ${sig}`)
    const onAbort = (): void => finish("Stopped")
    function finish(why: string): void {
      process.off("SIGINT", onSignal)
      process.off("SIGTERM", onSignal)
      io.signal?.removeEventListener("abort", onAbort)
      done(why)
    }
    process.on("SIGINT", onSignal)
    process.on("SIGTERM", onSignal)
    if (io.signal?.aborted) finish("Stopped")
    else io.signal?.addEventListener("abort", onAbort, { once: true })
  })
  log(`${reason}: shutting down.`)
  await server.close()
  return 0
}
