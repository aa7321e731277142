// Per-call GPU time of the bf16 attention kernels at the benchmark models' shapes (BERT, ViT, Transformer, GPT-2), through
// the backend: forward and backward with the dropout keep bits (a backward will run) and without them (the
// backward draws Philox again). On the GPU machine, after npx tsc -p .: node bench/gpu/attention-ab.mjs
// (TESSERA_CUDA_ATTENTION_FAST=0 turns the keep bits and the per-column mask path off; TESSERA_CUDA_ADDON
// points at another build of the addon to compare two versions).
import { randn, zeros, getBackend } from '../../dist/src/index.js';
import { cudaProfile, cudaEmptyCache } from '../../dist/src/backend/cuda/index.js';
const be = getBackend('cuda');
const shapes = [
  ['bert', 32, 12, 512, 64, true, 0.1, false],
  ['vit', 128, 12, 197, 64, false, 0, false],
  ['tr', 64, 8, 128, 64, true, 0.1, false],
  ['gpt', 16, 12, 1024, 64, false, 0.1, true],
];
const N = 20;
for (const [name, B, H, T, D, withMask, p, causal] of shapes) {
  const mk = () => randn([B, H, T, D], { device: 'cuda' }).to('bfloat16');
  const q = mk(), k = mk(), v = mk(), g = mk();
  const m = withMask ? zeros([B, 1, 1, T], { device: 'cuda' }) : undefined;
  const args = (nb) => ({ q: q.storage, k: k.storage, v: v.storage, shape: { B, H, Tq: T, Tk: T, D }, mask: m ? { storage: m.storage, layout: { shape: [B, H, T, T], strides: [T, 0, 0, 1], offset: 0 } } : undefined,
    causal, scale: 1 / Math.sqrt(D), dropoutP: p, returnProbs: false, needsBackward: nb });
  const line = [];
  for (const nb of [true, false]) {
    const a = args(nb);
    for (let i = 0; i < 3; i++) be.attentionBackward(a, be.attention(a), g.storage);
    cudaProfile(true);
    for (let i = 0; i < N; i++) be.attentionBackward(a, be.attention(a), g.storage);
    const rows = cudaProfile(false).filter((r) => /^attention/.test(r.op));
    line.push(`${nb && p > 0 ? 'bits' : 'philox'}: ` + rows.map((r) => `${r.op} ${(r.ms / N).toFixed(3)}`).join(' '));
    if (p === 0) break;
  }
  console.log(name, B, H, T, D, line.join(' || '));
  cudaEmptyCache();
}
