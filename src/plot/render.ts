// Rendering charts: a Vega-Lite spec is compiled to Vega and drawn to SVG headless (no canvas, no browser),
// then rasterised to PNG with resvg; both files are written atomically.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.js';

export type { TopLevelSpec } from 'vega-lite';

/** Draws a Vega-Lite spec to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG document to PNG bytes (`scale` x its size, on a white background). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const png = new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** The two files a chart is written to. */
export interface ChartFiles {
  svg: string;
  png: string;
}

/** Renders `spec` to `${base}.svg` and `${base}.png` (creating folders). */
export async function writeChart(spec: TopLevelSpec, base: string, scale = 2): Promise<ChartFiles> {
  const svg = await renderSvg(spec);
  const files = { svg: `${base}.svg`, png: `${base}.png` };
  mkdirSync(dirname(base), { recursive: true });
  writeFileAtomic(files.svg, svg);
  writeFileAtomic(files.png, svgToPng(svg, scale));
  return files;
}
