// Plots: loss curves and attention heatmaps are written as SVG and PNG, non-empty, and the PNGs decode with
// the expected dimensions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attentionSpec, lossCurvePoints, lossCurveSpec, renderSvg, svgToPng, writeAttentionPlot, writeLossCurves } from '../../src/plot/index.js';
import type { MetricsRecord } from '../../src/train/index.js';
import { decodePng } from './png.js';

const records: MetricsRecord[] = [
  ...Array.from({ length: 40 }, (_, i) => ({ kind: 'train', step: i + 1, loss: 4 * Math.exp(-i / 12) + 1.5 + 0.05 * Math.sin(i) })),
  { kind: 'eval', step: 20, val_loss: 2.4 },
  { kind: 'eval', step: 40, val_loss: 1.9 },
  { kind: 'checkpoint', step: 40, path: 'x' },
];

describe('loss curves', () => {
  it('are train (raw and smoothed) and validation points', () => {
    const pts = lossCurvePoints(records, 0.5);
    assert.equal(pts.filter((p) => p.series === 'train').length, 40);
    assert.equal(pts.filter((p) => p.series === 'train (smoothed)').length, 40);
    assert.deepEqual(pts.filter((p) => p.series === 'validation').map((p) => [p.step, p.loss]), [[20, 2.4], [40, 1.9]]);
    // the first smoothed point equals the first raw one (bias-corrected)
    assert.equal(pts[1]!.loss, pts[0]!.loss);
    assert.throws(() => lossCurveSpec([{ kind: 'checkpoint', step: 1, path: 'x' }]), /no loss values to plot/);
  });

  it('are written as SVG and a decodable PNG of twice the chart size', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tessera-plot-'));
    try {
      writeFileSync(join(d, 'metrics.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const files = await writeLossCurves(join(d, 'metrics.jsonl'), join(d, 'loss'), { title: 'tiny run' });
      const svg = readFileSync(files.svg, 'utf8');
      assert.match(svg, /^<svg[^>]*width="(\d+)"/);
      assert.match(svg, /tiny run/);
      assert.match(svg, /validation/);
      const svgWidth = Number(/width="(\d+)"/.exec(svg)![1]);
      const svgHeight = Number(/height="(\d+)"/.exec(svg)![1]);
      assert.ok(statSync(files.png).size > 1000);
      const png = decodePng(readFileSync(files.png));
      assert.equal(png.width, svgWidth * 2);
      assert.equal(png.height, svgHeight * 2);
      assert.ok(svgWidth >= 640 && svgHeight >= 360, `${svgWidth} x ${svgHeight}`);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('attention heatmaps', () => {
  const tokens = ['The', ' cat', ' sat', '\n'];
  const uniformCausal = (T: number) => Array.from({ length: T }, (_, q) => Array.from({ length: T }, (_, k) => (k <= q ? 1 / (q + 1) : 0)));
  const weights = [0, 1].map(() => [0, 1, 2].map(() => uniformCausal(4))); // 2 layers x 3 heads

  it('facet one panel per layer and head, with unique token labels', async () => {
    const spec = attentionSpec({ weights, tokens }) as unknown as { data: { values: { layer: string; head: string; query: string }[] } };
    assert.equal(spec.data.values.length, 2 * 3 * 16);
    assert.deepEqual([...new Set(spec.data.values.map((v) => v.query))], ['0:The', '1:\u2423cat', '2:\u2423sat', '3:\\n']);
    const svg = await renderSvg(attentionSpec({ weights, tokens }, { layers: [1] }));
    assert.match(svg, /layer 1/);
    assert.doesNotMatch(svg, /layer 0/);
    assert.match(svg, /head 2/);
  });

  it('are written as SVG and PNG', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tessera-attn-'));
    try {
      const files = await writeAttentionPlot({ weights, tokens }, join(d, 'sub', 'attention'));
      assert.ok(statSync(files.svg).size > 1000);
      const png = decodePng(readFileSync(files.png));
      assert.ok(png.width > 200 && png.height > 200, `${png.width} x ${png.height}`);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('reject maps of the wrong size and layers out of range', () => {
    assert.throws(() => attentionSpec({ weights: [[uniformCausal(3)]], tokens }), /layer 0 head 0: the map is not 4 x 4/);
    assert.throws(() => attentionSpec({ weights, tokens }, { layers: [5] }), /layer 5 is out of range \(the model has 2\)/);
    assert.throws(() => attentionSpec({ weights: [], tokens }), /no attention maps/);
  });
});

describe('svgToPng', () => {
  it('rasterises at the given scale', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="20"><rect width="30" height="20" fill="red"/></svg>';
    assert.deepEqual(decodePng(svgToPng(svg, 3)), { width: 90, height: 60, bitDepth: 8, colorType: 6 });
    assert.throws(() => decodePng(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), /bad signature/);
  });
});
