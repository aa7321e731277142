// Plots: loss curves of runs and attention heatmaps, rendered headless to SVG and PNG.
export { renderSvg, svgToPng, writeChart, type ChartFiles } from './render.js';
export { lossCurvePoints, lossCurveSpec, writeLossCurves, type LossCurveOptions } from './loss-curve.js';
export { attentionSpec, writeAttentionPlot, type AttentionMaps, type AttentionPlotOptions } from './attention.js';
