// CPU benchmarks of issue 6 beside their peers, in one run: one training step of a small GPT (6 layers, 384
// wide, context 256, batch 8) on each CPU backend, and BERT encoding (batch 32 x 128) of the peer-bert-small
// checkpoint on Tessera's cpu backend next to onnxruntime-node running the same weights exported to ONNX.
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { isDeviceAvailable, manualSeed, noGrad, optim, randint, tensor } from '../src/index.js';
import { getNumThreads } from '../src/backend/cpu/index.js';
import { BertModel } from '../src/models/bert/index.js';
import { gpt2Config, GPT2LMHeadModel } from '../src/models/gpt2/index.js';

interface OrtTensor { data: Float32Array; dims: number[] }
interface OrtSession { run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>> }
interface Ort {
  InferenceSession: { create(path: string, opts: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown;
}

function arg(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
}

/** Mean ms of `n` calls after one warm-up call. */
async function timeMs(n: number, fn: () => void | Promise<void>): Promise<number> {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t0) / n;
}

async function gptStep(device: string, steps: number): Promise<number> {
  manualSeed(0);
  const config = gpt2Config('gpt2-char', { vocab_size: 65, n_positions: 256, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 });
  const model = new GPT2LMHeadModel(config, device).train();
  const opt = new optim.AdamW(model.parameters(), { lr: 3e-4 });
  const ids = randint(0, 65, [8, 256], { device });
  return timeMs(steps, () => {
    const out = model.forward(ids, { labels: ids });
    opt.zeroGrad();
    out.loss!.backward();
    opt.step();
    out.loss!.item();
  });
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<unknown> {
  const out = arg(argv, '--out', 'bench-cpu-peers.json');
  const peerDir = arg(argv, '--peer', join('..', 'shared', 'fixtures', 'peer-bert-small'));
  const result: Record<string, unknown> = { cores: cpus().length, threads: isDeviceAvailable('cpu') ? getNumThreads() : 0 };
  if (!isDeviceAvailable('cpu')) {
    console.log('the native cpu backend is not built here: only cpu-js figures');
  }
  // --- BERT encoding next to onnxruntime-node ---
  if (!existsSync(join(peerDir, 'model.safetensors'))) {
    console.log(`peer BERT not found at ${peerDir} (pass --peer DIR): skipping the encoding comparison`);
  } else if (isDeviceAvailable('cpu')) {
    const B = 32, T = 128;
    manualSeed(1);
    const idsHost = Array.from(randint(1, 8000, [B, T], { device: 'cpu-js' }).toArray());
    const model = BertModel.fromPretrained(peerDir, { device: 'cpu' }).eval();
    const ids = tensor(idsHost, { dtype: 'int64', shape: [B, T], device: 'cpu' });
    let ours: Float32Array = new Float32Array();
    const encode = () => {
      ours = noGrad(() => model.forward({ inputIds: ids }).lastHiddenState.toArray() as Float32Array);
    };
    let ort: Ort | null = null;
    try {
      ort = createRequire(import.meta.url)('onnxruntime-node') as Ort;
    } catch {
      console.log('onnxruntime-node is not installed: no peer figure (npm run bench:peers installs it without its GPU download step)');
    }
    let theirs: Float32Array = new Float32Array();
    let peerRun: (() => Promise<void>) | null = null;
    if (ort) {
      const session = await ort.InferenceSession.create(join(peerDir, 'onnx', 'model.onnx'), {
        intraOpNumThreads: cpus().length, interOpNumThreads: 1, graphOptimizationLevel: 'all',
      });
      const big = BigInt64Array.from(idsHost, (v) => BigInt(v));
      const feeds = {
        input_ids: new ort.Tensor('int64', big, [B, T]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(B * T), [B, T]),
      };
      peerRun = async () => {
        theirs = (await session.run(feeds)).last_hidden_state!.data;
      };
    }
    // rounds alternate the two engines, so both see the same machine (others' load, clock, caches); each
    // figure is the median over rounds of a round's mean time per batch
    const rounds = 5, perRound = 4;
    const oursMs: number[] = [], theirsMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      oursMs.push(await timeMs(perRound, encode));
      if (peerRun) theirsMs.push(await timeMs(perRound, peerRun));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const bert: Record<string, number> = { tesseraSeqPerS: Number(((B * 1000) / median(oursMs)).toFixed(1)) };
    console.log(`BERT peer encode ${B} x ${T} on cpu: ${bert.tesseraSeqPerS} sequences/s (median of ${rounds} rounds of ${perRound})`);
    if (peerRun) {
      let maxDiff = 0;
      for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - theirs[i]!));
      bert.onnxruntimeSeqPerS = Number(((B * 1000) / median(theirsMs)).toFixed(1));
      bert.ratio = Number((bert.tesseraSeqPerS! / bert.onnxruntimeSeqPerS).toFixed(2));
      bert.maxAbsDiff = maxDiff;
      console.log(`  onnxruntime-node: ${bert.onnxruntimeSeqPerS} sequences/s; Tessera / onnxruntime = ${bert.ratio}x; outputs differ by at most ${maxDiff.toExponential(2)}`);
    }
    result.bertEncode = bert;
  }
  // --- small GPT training step (after the encoding: the cpu-js step leaves a large heap to collect) ---
  const gpt: Record<string, number> = {};
  for (const device of ['cpu', 'cpu-js'].filter((d) => isDeviceAvailable(d))) {
    gpt[device] = Number((await gptStep(device, device === 'cpu-js' ? 1 : 5)).toFixed(1));
    console.log(`small GPT step (6 x 384, ctx 256, batch 8) on ${device}: ${gpt[device]} ms`);
  }
  if (gpt.cpu && gpt['cpu-js']) console.log(`  cpu is ${(gpt['cpu-js'] / gpt.cpu).toFixed(1)}x faster than cpu-js`);
  result.smallGptStepMs = gpt;
  writeFileSync(out, JSON.stringify({ bench: 'cpu-peers', ...result }, null, 2) + '\n');
  console.log(`wrote ${out}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
