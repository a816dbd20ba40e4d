/**
 * Progress output of the command: on a terminal a one-line bar redrawn in place (files done,
 * failed, rate, ETA) with file lines printed above it; elsewhere plain lines only.
 * @module
 */
import type { RekeyProgress } from "./types.js"

/** Something text can be written to. */
export interface TextSink {
  write(chunk: string): unknown
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  return m < 60 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`
}

/** Renders the bar text for a progress state. */
export function progressLine(p: RekeyProgress, width = 24): string {
  const frac = p.total === 0 ? 1 : p.done / p.total
  const filled = Math.round(frac * width)
  const bar = "#".repeat(filled) + ".".repeat(width - filled)
  const eta = p.etaMs === null ? "--" : duration(p.etaMs)
  return `[${bar}] ${p.done}/${p.total}  failed ${p.failed}  ${p.rate.toFixed(1)} files/s  ETA ${eta}`
}

/** Writes file lines and, on a TTY, keeps a progress bar on the last line. */
export class ProgressView {
  private shown = false
  private lastDraw = 0
  private latest: RekeyProgress | null = null

  /**
   * @param out - where lines and the bar go (stderr)
   * @param tty - draw the bar (only on a terminal)
   */
  constructor(
    private readonly out: TextSink,
    private readonly tty: boolean,
  ) {}

  /** Prints a line (to `sink`, default the bar's stream) above the bar. */
  line(text: string, sink: TextSink = this.out): void {
    this.clear()
    sink.write(text + "\n")
    if (this.latest) this.draw(this.latest)
  }

  /** Records progress; redraws at most ten times a second, and always at the end. */
  update(p: RekeyProgress): void {
    this.latest = p
    if (!this.tty) return
    const now = Date.now()
    if (now - this.lastDraw < 100 && p.done < p.total) return
    this.lastDraw = now
    this.draw(p)
  }

  /** Removes the bar. */
  clear(): void {
    if (this.shown) this.out.write("\r\x1b[K")
    this.shown = false
  }

  private draw(p: RekeyProgress): void {
    if (!this.tty) return
    this.out.write(`\r\x1b[K${progressLine(p)}`)
    this.shown = true
  }
}
