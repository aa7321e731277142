// Attention maps as heatmaps: one panel per layer (rows) and head (columns), queries down, keys across,
// labelled with the tokens.
import { TesseraError } from '../errors.js';
import { writeChart, type ChartFiles, type TopLevelSpec } from './render.js';

/** Attention weights [layer][head][query][key] and the token strings. */
export interface AttentionMaps {
  weights: number[][][][];
  tokens: string[];
}

export interface AttentionPlotOptions {
  title?: string;
  /** Pixel size of one cell (default: chosen from the number of tokens). */
  cell?: number;
  /** Only these layers (0-based); default all. */
  layers?: number[];
}

/** A Vega-Lite faceted heatmap of attention maps. */
export function attentionSpec(maps: AttentionMaps, opts: AttentionPlotOptions = {}): TopLevelSpec {
  const { weights, tokens } = maps;
  const T = tokens.length;
  if (weights.length === 0) throw new TesseraError('there are no attention maps to plot');
  const layers = opts.layers ?? weights.map((_, i) => i);
  for (const l of layers) if (!weights[l]) throw new TesseraError(`layer ${l} is out of range (the model has ${weights.length})`);
  // labels must be unique per axis position: prefix the index
  const label = (i: number) => `${i}:${visible(tokens[i]!)}`;
  const values: { layer: string; head: string; query: string; key: string; weight: number }[] = [];
  for (const l of layers) {
    weights[l]!.forEach((head, h) => {
      if (head.length !== T || head.some((row) => row.length !== T)) throw new TesseraError(`layer ${l} head ${h}: the map is not ${T} x ${T}`);
      head.forEach((row, q) => row.forEach((w, k) => values.push({ layer: `layer ${l}`, head: `head ${h}`, query: label(q), key: label(k), weight: w })));
    });
  }
  const order = tokens.map((_, i) => label(i));
  const cell = opts.cell ?? Math.max(6, Math.min(22, Math.floor(220 / Math.max(T, 1))));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? 'Attention',
    background: 'white',
    data: { values },
    facet: {
      row: { field: 'layer', type: 'ordinal', title: null, sort: layers.map((l) => `layer ${l}`) },
      column: { field: 'head', type: 'ordinal', title: null, sort: weights[layers[0]!]!.map((_, h) => `head ${h}`) },
    },
    spec: {
      width: cell * T,
      height: cell * T,
      mark: 'rect',
      encoding: {
        x: { field: 'key', type: 'ordinal', sort: order, title: 'key', axis: { labelAngle: -60, labelFontSize: 8, labelLimit: 60 } },
        y: { field: 'query', type: 'ordinal', sort: order, title: 'query', axis: { labelFontSize: 8, labelLimit: 60 } },
        color: { field: 'weight', type: 'quantitative', scale: { scheme: 'viridis', domain: [0, 1] }, title: 'weight' },
      },
    },
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

/** Writes the heatmaps to `${base}.svg` and `${base}.png`. */
export async function writeAttentionPlot(maps: AttentionMaps, base: string, opts: AttentionPlotOptions = {}): Promise<ChartFiles> {
  return writeChart(attentionSpec(maps, opts), base);
}

/** Whitespace and control characters shown visibly in axis labels. */
function visible(token: string): string {
  return token.replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/ /g, '\u2423') || '\u2205';
}
