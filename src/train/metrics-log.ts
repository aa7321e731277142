// The metrics log of a run: one JSON object per line (JSONL), appended as training goes; on a resume the
// lines past the checkpoint's step are dropped, so the log reads as one uninterrupted run.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FormatError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

/** One line of the log: `step` and `kind` ('train', 'eval', ...) plus any numbers. */
export interface MetricsRecord {
  step: number;
  kind: string;
  [key: string]: number | string | null;
}

export class MetricsLog {
  private constructor(readonly path: string) {}

  /**
   * Opens (creating folders) the log at `path`. With `keepUpToStep`, lines of a previous run past that step are
   * removed (a resume from a checkpoint at that step); without it an existing file is started afresh.
   */
  static open(path: string, opts: { keepUpToStep?: number } = {}): MetricsLog {
    mkdirSync(dirname(path), { recursive: true });
    if (opts.keepUpToStep === undefined || !existsSync(path)) {
      writeFileAtomic(path, '');
    } else {
      const kept = MetricsLog.read(path).filter((r) => r.step <= opts.keepUpToStep!);
      writeFileAtomic(path, kept.map((r) => JSON.stringify(r) + '\n').join(''));
    }
    return new MetricsLog(path);
  }

  /** Appends one record (numbers that are not finite are written as null). */
  write(record: MetricsRecord): void {
    const clean: Record<string, number | string | null> = {};
    for (const [k, v] of Object.entries(record)) clean[k] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
    appendFileSync(this.path, JSON.stringify(clean) + '\n');
  }

  /** Every record of a log file (a torn last line, from a kill mid-write, is ignored). */
  static read(path: string): MetricsRecord[] {
    const lines = readFileSync(path, 'utf8').split('\n');
    const out: MetricsRecord[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        if (i === lines.length - 1) return; // an unfinished last line
        throw new FormatError(`${path}:${i + 1}: not a JSON line`);
      }
      if (typeof rec !== 'object' || rec === null || typeof (rec as MetricsRecord).step !== 'number') {
        throw new FormatError(`${path}:${i + 1}: a metrics line needs a numeric 'step'`);
      }
      out.push(rec as MetricsRecord);
    });
    return out;
  }
}
