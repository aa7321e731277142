// Progress of a training run: a bar with loss, throughput and ETA on a terminal (cli-progress), plain log
// lines every few steps otherwise (CI logs, pipes), or nothing.
import { SingleBar } from 'cli-progress';

/** What the trainer reports after each optimizer step. */
export interface ProgressInfo {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  /** Tokens (or samples) per second over the run so far. */
  rate: number;
  rateUnit: 'tok' | 'samples';
  valLoss?: number | null;
  elapsedMs: number;
  /** Estimated time left, when known. */
  etaMs: number | null;
}

export interface ProgressReporter {
  start(totalSteps: number, startStep: number): void;
  update(info: ProgressInfo): void;
  /** A message line that must not be mangled by the bar. */
  log(message: string): void;
  stop(): void;
}

/** h:mm:ss or m:ss. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '--:--';
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

function rateText(info: ProgressInfo): string {
  return `${Math.round(info.rate).toLocaleString('en-US')} ${info.rateUnit}/s`;
}

/** One line per `every` steps (and the last), for logs. */
export class LineProgress implements ProgressReporter {
  private total = 0;
  constructor(private readonly write: (line: string) => void = (l) => process.stdout.write(l + '\n'), private readonly every = 50) {}

  start(totalSteps: number): void {
    this.total = totalSteps;
  }

  update(info: ProgressInfo): void {
    this.total = info.totalSteps;
    if (info.step % this.every !== 0 && info.step !== this.total && info.valLoss == null) return;
    const parts = [
      `step ${info.step}/${info.totalSteps}`,
      `loss ${info.loss.toFixed(4)}`,
      ...(info.valLoss != null ? [`val ${info.valLoss.toFixed(4)}`] : []),
      `lr ${info.lr.toExponential(2)}`,
      rateText(info),
      `elapsed ${formatDuration(info.elapsedMs)}`,
      `eta ${formatDuration(info.etaMs)}`,
    ];
    this.write(parts.join(' | '));
  }

  log(message: string): void {
    this.write(message);
  }

  stop(): void {}
}

/** A live bar on a terminal. */
export class BarProgress implements ProgressReporter {
  private bar: SingleBar | null = null;
  private lastVal: string = '-';
  private total = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  start(totalSteps: number, startStep: number): void {
    this.bar = new SingleBar({
      format: 'train |{bar}| {value}/{total} | loss {loss} | val {val} | {rate} | {elapsed} < {eta}',
      barsize: 24,
      hideCursor: true,
      stream: this.stream,
      etaBuffer: 50,
      forceRedraw: false,
    });
    this.total = totalSteps;
    this.bar.start(totalSteps, startStep, { loss: '-', val: '-', rate: '-', elapsed: '0:00', eta: '--:--' });
  }

  update(info: ProgressInfo): void {
    if (info.valLoss != null) this.lastVal = info.valLoss.toFixed(4);
    if (info.totalSteps !== this.total) {
      this.total = info.totalSteps;
      this.bar?.setTotal(info.totalSteps);
    }
    this.bar?.update(info.step, {
      loss: info.loss.toFixed(4),
      val: this.lastVal,
      rate: rateText(info),
      elapsed: formatDuration(info.elapsedMs),
      eta: formatDuration(info.etaMs),
    });
  }

  log(message: string): void {
    // print above the bar: clear the line, write, let the next update redraw the bar
    if (this.bar) this.stream.write('\r\x1b[2K');
    this.stream.write(message + '\n');
    if (this.bar) this.bar.render();
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** Reports nothing (library use, tests). */
export class SilentProgress implements ProgressReporter {
  start(): void {}
  update(): void {}
  log(): void {}
  stop(): void {}
}

/** The bar on a terminal, plain lines otherwise. */
export function defaultProgress(stream: NodeJS.WriteStream = process.stderr, every = 50): ProgressReporter {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress((l) => stream.write(l + '\n'), every);
}
