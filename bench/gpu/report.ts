// Puts Tessera's and PyTorch's benchmark JSON side by side: throughput, the ratio, and model FLOP
// utilisation from one FLOP count per row (flops.ts), as one JSON file and a printed table.
//   node dist/bench/gpu/report.js tessera.json torch.json --out bench.json
import { readFileSync, writeFileSync } from 'node:fs';
import { bertEncodeFlops, bertPretrainFlops, gpt2Flops, H200_PEAK, transformerBaseFlops, vitFlops, type RowFlops } from './flops.js';

type Json = Record<string, Record<string, unknown> | unknown>;

const [tesseraPath, torchPath] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const outIdx = process.argv.indexOf('--out');
const outPath = outIdx > 0 ? process.argv[outIdx + 1]! : 'bench.json';
if (!tesseraPath || !torchPath) {
  process.stderr.write('usage: report.js tessera.json torch.json [--out bench.json]\n');
  process.exit(1);
}
const read = (p: string): Json => {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Json;
  } catch (err) {
    process.stderr.write(`report: cannot read ${p}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
};
const tessera = read(tesseraPath), torch = read(torchPath);

const ROWS: { key: string; unit: string; flops: RowFlops }[] = [
  { key: 'gpt2_124M_b16_s1024', unit: 'tokens', flops: gpt2Flops() },
  { key: 'bert_base_pretrain_b32_s512', unit: 'sequences', flops: bertPretrainFlops() },
  { key: 'bert_base_encode_b64_s128', unit: 'sequences', flops: bertEncodeFlops() },
  { key: 'vit_b16_224_b128', unit: 'images', flops: vitFlops() },
  { key: 'transformer_base_b64_s128', unit: 'target_tokens', flops: transformerBaseFlops() },
];

interface Line {
  row: string;
  metric: string;
  tessera: number | null;
  pytorch: number | null;
  ratio: number | null;
  tesseraMfu: number | null;
  pytorchMfu: number | null;
  note?: string;
}

const num = (o: unknown, k: string): number | null => {
  const v = (o as Record<string, unknown> | undefined)?.[k];
  return typeof v === 'number' ? v : null;
};

const lines: Line[] = [];
for (const { key, unit, flops } of ROWS) {
  const t = tessera[key] as Record<string, unknown> | undefined, p = torch[key] as Record<string, unknown> | undefined;
  for (const kind of ['train', 'infer'] as const) {
    for (const mode of ['bf16', 'fp32'] as const) {
      const metric = `${kind}_${mode}_${unit}_per_s`;
      const tv = num(t, metric), pv = num(p, metric);
      if (tv === null && pv === null) continue;
      const perUnit = kind === 'train' ? flops.trainPerUnit : flops.inferPerUnit;
      const peak = mode === 'bf16' ? H200_PEAK.bf16 : H200_PEAK.tf32;
      lines.push({
        row: key, metric, tessera: tv, pytorch: pv, ratio: tv !== null && pv ? tv / pv : null,
        tesseraMfu: tv !== null ? (tv * perUnit) / peak : null, pytorchMfu: pv !== null ? (pv * perUnit) / peak : null,
        note: t && 'error' in t ? `tessera: ${String(t.error).split('\n')[0]}` : p && 'error' in p ? `pytorch: ${String(p.error)}` : undefined,
      });
    }
  }
  if (t && 'error' in t && !lines.some((l) => l.row === key)) lines.push({ row: key, metric: '-', tessera: null, pytorch: null, ratio: null, tesseraMfu: null, pytorchMfu: null, note: `tessera: ${String(t.error).split('\n')[0]}` });
  const compiled = num(p, 'train_bf16_compiled_tokens_per_s');
  if (compiled !== null) {
    const tv = num(t, 'train_bf16_tokens_per_s');
    lines.push({ row: key, metric: 'train_bf16_tokens_per_s vs torch.compile', tessera: tv, pytorch: compiled, ratio: tv !== null ? tv / compiled : null,
      tesseraMfu: tv !== null ? (tv * flops.trainPerUnit) / H200_PEAK.bf16 : null, pytorchMfu: (compiled * flops.trainPerUnit) / H200_PEAK.bf16 });
  }
}

const kernelKeys = new Set([...Object.keys((tessera.kernels as object) ?? {}), ...Object.keys((torch.kernels as object) ?? {})]);
const kernels = [...kernelKeys].map((k) => {
  const tv = num(tessera.kernels, k), pv = num(torch.kernels, k);
  return { metric: k, tessera: tv, pytorch: pv, ratio: tv !== null && pv ? (k.endsWith('_ms') ? pv / tv : tv / pv) : null };
});

const report = {
  what: 'Tessera (cuda backend) vs PyTorch eager on the same GPU in the same call; ratio = Tessera / PyTorch throughput; MFU against the dense peak (bf16 989.4, TF32 494.7 TFLOP/s)',
  device: tessera.device, torch: torch.torch, transformers: torch.transformers,
  rows: lines, kernels,
  raw: { tessera, pytorch: torch },
};
writeFileSync(outPath, JSON.stringify(report, null, 1));

const f = (v: number | null, digits = 0) => (v === null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);
const table = [
  '| row | metric | Tessera | PyTorch | Tessera/PyTorch | MFU Tessera | MFU PyTorch |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...lines.map((l) => `| ${l.row} | ${l.metric} | ${f(l.tessera)} | ${f(l.pytorch)} | ${l.ratio === null ? '-' : l.ratio.toFixed(2)} | ${pct(l.tesseraMfu)} | ${pct(l.pytorchMfu)} |${l.note ? ` ${l.note}` : ''}`),
  '',
  '| kernel | Tessera | PyTorch | Tessera/PyTorch (speed) |',
  '| --- | ---: | ---: | ---: |',
  ...kernels.map((k) => `| ${k.metric} | ${f(k.tessera, 2)} | ${f(k.pytorch, 2)} | ${k.ratio === null ? '-' : k.ratio.toFixed(2)} |`),
];
process.stdout.write(`${table.join('\n')}\n\nwrote ${outPath}\n`);
