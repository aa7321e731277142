// Engine benchmark: f32 matmul GFLOP/s (256, 512, 1024 square) and one training step of a small MLP and of a
// small attention block, on each device present (cpu-js always). Prints a table and writes JSON.
import { writeFileSync } from 'node:fs';
import { crossEntropy, isDeviceAvailable, manualSeed, nn, optim, randint, randn, type Tensor } from '../src/index.js';

function timeIt(fn: () => void, minMs = 300, maxIters = 50): number {
  fn(); // warm-up
  const t0 = performance.now();
  let n = 0;
  while (n < maxIters && (n === 0 || performance.now() - t0 < minMs)) {
    fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

class Block extends nn.Module {
  readonly emb: nn.Embedding;
  readonly ln1: nn.LayerNorm;
  readonly attn: nn.MultiHeadAttention;
  readonly ln2: nn.LayerNorm;
  readonly ff: nn.FeedForward;
  readonly head: nn.Linear;
  constructor(V: number, C: number, H: number, device: string) {
    super();
    this.emb = this.addModule('emb', new nn.Embedding(V, C, { device }));
    this.ln1 = this.addModule('ln1', new nn.LayerNorm(C, { device }));
    this.attn = this.addModule('attn', new nn.MultiHeadAttention(C, H, { device }));
    this.ln2 = this.addModule('ln2', new nn.LayerNorm(C, { device }));
    this.ff = this.addModule('ff', new nn.FeedForward(C, 4 * C, { activation: 'gelu', device }));
    this.head = this.addModule('head', new nn.Linear(C, V, { device }));
  }
  forward(ids: Tensor): Tensor {
    let x = this.emb.forward(ids);
    const h = this.ln1.forward(x);
    x = x.add(this.attn.forward(h, h, h, { causal: true }).output);
    x = x.add(this.ff.forward(this.ln2.forward(x)));
    return this.head.forward(x);
  }
}

export interface EngineBenchResult {
  device: string;
  matmulGflops: Record<string, number>;
  mlpStepMs: number;
  attentionStepMs: number;
}

export function benchDevice(device: string): EngineBenchResult {
  manualSeed(0);
  const matmulGflops: Record<string, number> = {};
  for (const n of [256, 512, 1024]) {
    const a = randn([n, n], { device }), b = randn([n, n], { device });
    const ms = timeIt(() => void a.matmul(b).toArray(), 500, n >= 1024 ? 5 : 20);
    matmulGflops[String(n)] = Number(((2 * n ** 3) / (ms * 1e6)).toFixed(2));
  }
  // MLP 784-256-10, batch 64
  const mlp = new nn.Module();
  const fc1 = mlp.addModule('fc1', new nn.Linear(784, 256, { device }));
  const fc2 = mlp.addModule('fc2', new nn.Linear(256, 10, { device }));
  const x = randn([64, 784], { device }), y = randint(0, 10, [64], { device });
  const mopt = new optim.AdamW(mlp.parameters(), { lr: 1e-3 });
  const mlpStepMs = timeIt(() => {
    const loss = crossEntropy(fc2.forward(fc1.forward(x).relu()), y);
    mopt.zeroGrad();
    loss.backward();
    mopt.step();
    loss.item();
  });
  // one attention block, C 128, 4 heads, batch 8 x 64 tokens, vocab 256
  const block = new Block(256, 128, 4, device);
  const ids = randint(0, 256, [8, 64], { device }), tgt = randint(0, 256, [8, 64], { device });
  const bopt = new optim.AdamW(block.parameters(), { lr: 1e-3 });
  const attentionStepMs = timeIt(() => {
    const loss = crossEntropy(block.forward(ids), tgt);
    bopt.zeroGrad();
    loss.backward();
    bopt.step();
    loss.item();
  });
  return { device, matmulGflops, mlpStepMs: Number(mlpStepMs.toFixed(2)), attentionStepMs: Number(attentionStepMs.toFixed(2)) };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<EngineBenchResult[]> {
  const outIdx = argv.indexOf('--out');
  const out = outIdx >= 0 ? argv[outIdx + 1]! : 'bench-engine.json';
  const devices = ['cpu-js', 'cpu', 'cuda'].filter((d) => isDeviceAvailable(d));
  const results = devices.map((d) => {
    const r = benchDevice(d);
    console.log(`${d}: matmul GFLOP/s ${JSON.stringify(r.matmulGflops)}, MLP step ${r.mlpStepMs} ms, attention-block step ${r.attentionStepMs} ms`);
    return r;
  });
  writeFileSync(out, JSON.stringify({ bench: 'engine', results }, null, 2) + '\n');
  console.log(`wrote ${out}`);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
