// Layer norm at the kernels row's shape (16384 x 768 float32): GPU time per call (cudaProfile) against the wall
// and host time per call, to tell the kernel's speed from the dispatch's. On the GPU machine, after
// npx tsc -p .: node bench/gpu/layer-norm-dispatch.mjs
import { randn, layerNorm, tidy, noGrad, getBackend } from '../../dist/src/index.js';
import { cudaProfile } from '../../dist/src/backend/cuda/index.js';

const be = getBackend('cuda');
noGrad(() => {
  const x = randn([16384, 768], { device: 'cuda' }), w = randn([768], { device: 'cuda' }), b = randn([768], { device: 'cuda' });
  const call = () => tidy(() => void layerNorm(x, [768], w, b));
  for (let i = 0; i < 5; i++) call();
  be.synchronize();
  for (const n of [20, 200]) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) call();
    const t1 = performance.now();
    be.synchronize();
    const t2 = performance.now();
    console.log(`${n} calls: wall ${(((t2 - t0) * 1e3) / n).toFixed(1)} us/call, host ${(((t1 - t0) * 1e3) / n).toFixed(1)} us/call`);
  }
  cudaProfile(true);
  for (let i = 0; i < 50; i++) call();
  console.log(cudaProfile(false).slice(0, 3).map((r) => `${r.op} ${((r.ms * 1e3) / 50).toFixed(1)} us`).join(' | '));
});
