// Per-call GPU time of column sums (`x.sum(0)`, the bias gradients) at the benchmark models' shapes, through
// cudaProfile, and the bandwidth that makes. On the GPU machine, after npx tsc -p .:
// node bench/gpu/column-sums.mjs (TESSERA_CUDA_ADDON points at another build of the addon to compare two versions).
import { randn } from '../../dist/src/index.js';
import { cudaProfile } from '../../dist/src/backend/cuda/index.js';

const out = [];
for (const [R, N, dtype] of [[16384, 768, 'bfloat16'], [16384, 3072, 'bfloat16'], [25216, 768, 'bfloat16'], [25216, 3072, 'bfloat16'], [8192, 512, 'bfloat16'], [16384, 768, 'float32']]) {
  const x = randn([R, N], { device: 'cuda' }).to(dtype);
  for (let i = 0; i < 3; i++) x.sum(0);
  cudaProfile(true);
  const calls = 20;
  for (let i = 0; i < calls; i++) x.sum(0);
  const ms = cudaProfile(false).filter((r) => r.op === 'reduce').reduce((a, r) => a + r.ms, 0) / calls;
  out.push(`${R}x${N} ${dtype}: ${(ms * 1e3).toFixed(1)} us ${((R * N * (dtype === 'float32' ? 4 : 2)) / ms / 1e6).toFixed(0)} GB/s`);
}
console.log(out.join(' | '));
