import type { EpochReport } from '../train/trainer.js';

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

export interface ProgressBarOptions {
  total: number;
  /** What is counted: 'files', 'batches'. */
  unit: string;
  /** Printed before the bar, e.g. 'train epoch 3 '. */
  prefix?: string;
  /** When the work began (a Date.now()), so rates include its start-up. */
  started?: number;
  stream?: NodeJS.WriteStream;
}

/**
 * The one progress bar of the CLI, on stderr: done of total, the rate, audio seconds per wall second where
 * audio is counted, and time left. A terminal gets a bar redrawn in place; a log gets a line every 5 s.
 */
export class ProgressBar {
  private readonly started: number;
  private readonly stream: NodeJS.WriteStream;
  /** Starts at `started` so the first figures shown rest on some work rather than one item. */
  private lastDrawn: number;
  private drawn = false;
  private audioSeconds = 0;

  constructor(private readonly options: ProgressBarOptions) {
    this.started = options.started ?? Date.now();
    this.stream = options.stream ?? process.stderr;
    this.lastDrawn = this.started;
  }

  /** `done` items so far; `audioSecondsOfItem` adds the audio the latest item held, for the real-time factor. */
  update(done: number, audioSecondsOfItem?: number): void {
    if (audioSecondsOfItem !== undefined) this.audioSeconds += audioSecondsOfItem;
    const now = Date.now();
    const interval = this.stream.isTTY ? REDRAW_INTERVAL_MS : PLAIN_LINE_INTERVAL_MS;
    if (done < this.options.total && now - this.lastDrawn < interval) return;
    this.lastDrawn = now;
    this.drawn = true;
    this.draw(done, (now - this.started) / 1000);
  }

  /** Ends the terminal line so what follows starts on its own. */
  finish(): void {
    if (this.stream.isTTY && this.drawn) this.stream.write('\n');
  }

  private draw(done: number, elapsedSeconds: number): void {
    const { total, unit, prefix = '' } = this.options;
    const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    const realTime = this.audioSeconds > 0 && elapsedSeconds > 0 ? `  ${Math.round(this.audioSeconds / elapsedSeconds)}x real time` : '';
    const figures = `${done}/${total} ${unit}  ${rate.toFixed(1)} ${unit}/s${realTime}  ETA ${clock(eta)}`;
    if (this.stream.isTTY) {
      const filled = total > 0 ? Math.round((BAR_WIDTH * Math.min(done, total)) / total) : BAR_WIDTH;
      this.stream.write(`\r${prefix}[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${figures}\x1b[K`);
    } else {
      this.stream.write(`${prefix}${figures}\n`);
    }
  }
}

/** Training progress: the running epoch's batches on a ProgressBar (on a terminal; a log gets the epoch lines alone), then one line per epoch. */
export function trainingProgress(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let bar: ProgressBar | undefined;
  return {
    onStep(step: number, stepsPerEpoch: number, epoch: number): void {
      if (!stream.isTTY) return;
      if (step === 1) bar = new ProgressBar({ total: stepsPerEpoch, unit: 'batches', prefix: `${label} epoch ${epoch} `, stream });
      bar?.update(step);
    },
    onEpoch(report: EpochReport): void {
      bar = undefined;
      const parts = [
        `${label} epoch ${report.epoch}/${report.epochs}`,
        `loss ${report.loss.toFixed(4)}`,
        report.alignmentLoss !== null ? `alignment ${report.alignmentLoss.toFixed(4)}` : '',
        ...Object.entries(report.alignmentMetrics ?? {}).map(([name, value]) => `${name} ${value.toFixed(3)}`),
        report.validationUar !== null ? `validation UAR ${(100 * report.validationUar).toFixed(1)}%${report.best ? ' (best)' : ''}` : '',
        `${report.seconds.toFixed(1)} s`,
      ];
      const line = parts.filter(Boolean).join('  ');
      stream.write(stream.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}

/**
 * A file bar for feature extraction, made at the first progress report (the total is known only then):
 * pass `onProgress` to preprocessing and call `finish` when it returns.
 */
export function extractionProgress(started?: number): {
  onProgress: (done: number, total: number, item: { audioSeconds: number }) => void;
  finish: () => void;
} {
  let bar: ProgressBar | undefined;
  return {
    onProgress: (done, total, item) => {
      bar ??= new ProgressBar({ total, unit: 'files', started });
      bar.update(done, item.audioSeconds);
    },
    finish: () => bar?.finish(),
  };
}
