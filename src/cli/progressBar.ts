/** How often a progress line is printed when stderr is a log file rather than a terminal. */
const PLAIN_LINE_INTERVAL_MS = 5000;
/** Redrawing a terminal bar faster than this only costs time. */
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  const hours = Math.floor(minutes / 60);
  const mm = String(minutes % 60).padStart(hours > 0 ? 2 : 1, '0');
  const ss = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Files done of total, files per second, audio seconds per wall second and time left, on stderr. */
export class FileProgressBar {
  /** Starts at `started` so the first figures shown rest on some files rather than one. */
  private lastDrawn: number;
  private drawn = false;
  private audioSeconds = 0;

  constructor(
    private readonly total: number,
    /** When the work began (a Date.now()), so rates include its start-up. */
    private readonly started: number = Date.now(),
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.lastDrawn = started;
  }

  update(done: number, audioSecondsOfFile: number): void {
    this.audioSeconds += audioSecondsOfFile;
    const now = Date.now();
    const interval = this.stream.isTTY ? REDRAW_INTERVAL_MS : PLAIN_LINE_INTERVAL_MS;
    if (done < this.total && now - this.lastDrawn < interval) return;
    this.lastDrawn = now;
    this.drawn = true;
    this.draw(done, (now - this.started) / 1000);
  }

  /** Ends the terminal line so what follows starts on its own. */
  finish(): void {
    if (this.stream.isTTY && this.drawn) this.stream.write('\n');
  }

  private draw(done: number, elapsedSeconds: number): void {
    const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
    const realTime = elapsedSeconds > 0 ? this.audioSeconds / elapsedSeconds : 0;
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const figures = `${done}/${this.total} files  ${rate.toFixed(1)} files/s  ${Math.round(realTime)}x real time  ETA ${clock(eta)}`;
    if (this.stream.isTTY) {
      const filled = this.total > 0 ? Math.round((BAR_WIDTH * done) / this.total) : BAR_WIDTH;
      this.stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${figures}\x1b[K`);
    } else {
      this.stream.write(`${figures}\n`);
    }
  }
}
