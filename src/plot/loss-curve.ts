// Loss curves of a run from its metrics log: the training loss (raw and smoothed) and the validation loss
// against the optimizer step, one line per series.
import { TesseraError } from '../errors.js';
import type { MetricsRecord } from '../train/metrics-log.js';
import { MetricsLog } from '../train/metrics-log.js';
import { writeChart, type ChartFiles, type TopLevelSpec } from './render.js';

export interface LossCurveOptions {
  title?: string;
  /** Exponential moving average factor of the smoothed training curve (0 = none; default 0.9). */
  smoothing?: number;
  width?: number;
  height?: number;
}

interface Point {
  step: number;
  loss: number;
  series: string;
}

/** The points of the chart: 'train' (raw), 'train (smoothed)' and 'validation'. */
export function lossCurvePoints(records: readonly MetricsRecord[], smoothing = 0.9): Point[] {
  if (!(smoothing >= 0 && smoothing < 1)) throw new TesseraError(`smoothing must be in [0, 1), got ${smoothing}`);
  const points: Point[] = [];
  let ema: number | null = null;
  let debias = 0;
  for (const r of records) {
    if (r.kind === 'train' && typeof r.loss === 'number' && Number.isFinite(r.loss)) {
      points.push({ step: r.step, loss: r.loss, series: 'train' });
      if (smoothing > 0) {
        // bias-corrected EMA (as TensorBoard): the first points are not pulled towards 0
        ema = (ema ?? 0) * smoothing + r.loss * (1 - smoothing);
        debias = debias * smoothing + (1 - smoothing);
        points.push({ step: r.step, loss: ema / debias, series: 'train (smoothed)' });
      }
    } else if (r.kind === 'eval' && typeof r.val_loss === 'number' && Number.isFinite(r.val_loss)) {
      points.push({ step: r.step, loss: r.val_loss, series: 'validation' });
    }
  }
  return points;
}

/** A Vega-Lite line chart of the loss curves. */
export function lossCurveSpec(records: readonly MetricsRecord[], opts: LossCurveOptions = {}): TopLevelSpec {
  const values = lossCurvePoints(records, opts.smoothing ?? 0.9);
  if (values.length === 0) throw new TesseraError('the metrics log has no loss values to plot');
  const domain = ['train', 'train (smoothed)', 'validation'].filter((s) => values.some((v) => v.series === s));
  const colors: Record<string, string> = { train: '#9ecae9', 'train (smoothed)': '#1f77b4', validation: '#d62728' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? 'Loss',
    width: opts.width ?? 640,
    height: opts.height ?? 360,
    background: 'white',
    data: { values },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'loss', type: 'quantitative', title: 'loss', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain, range: domain.map((d) => colors[d]!) }, legend: { orient: 'top-right' } },
    },
    layer: [
      { mark: { type: 'line', strokeWidth: 1.5 } },
      // validation points are few: mark each one
      { mark: { type: 'point', filled: true, size: 30 }, transform: [{ filter: "datum.series === 'validation'" }] },
    ],
  } as TopLevelSpec;
}

/** Reads a metrics log and writes its loss curves to `${base}.svg` and `${base}.png`. */
export async function writeLossCurves(metricsPath: string, base: string, opts: LossCurveOptions = {}): Promise<ChartFiles> {
  return writeChart(lossCurveSpec(MetricsLog.read(metricsPath), opts), base);
}
