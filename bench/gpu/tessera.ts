// Tessera's side of the GPU benchmark: the five model rows of the cuda issue (training with bf16 autocast
// and AdamW, and inference) plus kernel rates (matmul, attention, row ops), as JSON. bench/gpu/run.sh runs
// it beside bench/gpu/torch_bench.py in one call and bench/gpu/report.ts puts the two side by side.
//   node dist/bench/gpu/tessera.js --out tessera.json [--rows kernels,gpt2,bert-pretrain,bert-encode,vit,transformer] [--fp32] [--steps 10]
//     [--profile] [--cpu-profile DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import {
  crossEntropy, getBackend, layerNorm, manualSeed, matmul, noGrad, optim, randint, randn, scaledDotProductAttention, softmax,
  stepScope, tensor, tidy, type Tensor,
} from '../../src/index.js';
import { cudaDeviceInfo, cudaEmptyCache, cudaMemoryStats, cudaProfile, setAllowTF32 } from '../../src/backend/cuda/index.js';
import { withAutocast } from '../../src/tensor/autocast.js';
import { GPT2LMHeadModel, gpt2Config } from '../../src/models/gpt2/index.js';
import { BertForPreTraining, BertModel, bertPreset } from '../../src/models/bert/index.js';
import { ViTForImageClassification, vitPreset } from '../../src/models/vit/index.js';
import { TransformerMTModel, transformerConfig } from '../../src/models/transformer/index.js';
import type { Module } from '../../src/nn/module.js';
import { bertEncodeFlops, bertPretrainFlops, gpt2Flops, H200_PEAK, transformerBaseFlops, vitFlops, type RowFlops } from './flops.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : dflt;
};
/** --smoke: tiny shapes and models on any --device, to check the script itself without a GPU. */
const SMOKE = args.includes('--smoke');
const DEVICE = arg('device', 'cuda');
const CUDA = DEVICE.startsWith('cuda');
const small = (full: number, tiny: number) => (SMOKE ? tiny : full);
const emptyCache = () => CUDA && cudaEmptyCache(DEVICE);
const allowTF32 = (on: boolean) => CUDA && setAllowTF32(on);
const ALL_ROWS = ['kernels', 'gpt2', 'bert-pretrain', 'bert-encode', 'vit', 'transformer'];
const rows = arg('rows', ALL_ROWS.join(',')).split(',');
const STEPS = Number(arg('steps', '10'));
const WARMUP = Number(arg('warmup', '3'));
const withFp32 = args.includes('--fp32');
/** --profile: also record per-op GPU time over two extra steps of each mode. */
const withProfile = args.includes('--profile');
const outPath = arg('out', 'tessera-bench.json');
/** --cpu-profile DIR: a V8 CPU profile of the host side of five more steps of each mode, DIR/<row>-<train|infer>-<mode>.cpuprofile. */
const cpuProfileDir = arg('cpu-profile', '');

const be = getBackend(DEVICE);
const sync = () => be.synchronize();

/** The collector runs the cuda backend has made so far (zeros elsewhere). */
function collections(): { minor: number; major: number } {
  if (!CUDA) return { minor: 0, major: 0 };
  const m = cudaMemoryStats(DEVICE);
  return { minor: m.minorCollections, major: m.majorCollections };
}

/**
 * Median-free simple timing as the PyTorch side does it: warm up, then the mean of `steps` runs; also the
 * host's share (time to enqueue) and the collections that ran during the timed steps.
 */
function time(fn: () => void, steps = STEPS, warmup = WARMUP): { seconds: number; hostSeconds: number; minorGc: number; majorGc: number } {
  for (let i = 0; i < warmup; i++) fn();
  sync();
  const c0 = collections();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) fn();
  const t1 = performance.now();
  sync();
  const t2 = performance.now();
  const c1 = collections();
  return { seconds: (t2 - t0) / 1000 / steps, hostSeconds: (t1 - t0) / 1000 / steps, minorGc: c1.minor - c0.minor, majorGc: c1.major - c0.major };
}

type Json = Record<string, unknown>;
const results: Json = {
  device: CUDA ? cudaDeviceInfo(DEVICE) : DEVICE,
  smoke: SMOKE,
  node: process.version,
  steps: STEPS,
  warmup: WARMUP,
};

function log(name: string, r: Json): void {
  process.stdout.write(`${name} ${JSON.stringify(r)}\n`);
}

// --- kernels ---

function kernels(): Json {
  const r: Json = {};
  noGrad(() => {
    const n = small(8192, 64);
    manualSeed(0);
    const a = randn([n, n], { device: DEVICE }), b = randn([n, n], { device: DEVICE });
    const ab = a.to('bfloat16'), bb = b.to('bfloat16');
    r.matmul_bf16_tflops = (2 * n ** 3) / time(() => void matmul(ab, bb), 10, 2).seconds / 1e12;
    allowTF32(true);
    r.matmul_tf32_tflops = (2 * n ** 3) / time(() => void matmul(a, b), 10, 2).seconds / 1e12;
    allowTF32(false);
    r.matmul_fp32_tflops = (2 * n ** 3) / time(() => void matmul(a, b), 3, 1).seconds / 1e12;
  });
  emptyCache();
  // GPT-2's attention: (16, 12, 1024, 64), causal; FLOPs counted over the causal half actually computed
  const [B, H, T, D] = SMOKE ? [1, 2, 16, 8] : [16, 12, 1024, 64];
  const causalFlops = (4 * B * H * T * T * D) / 2;
  for (const dtype of ['bfloat16', 'float32'] as const) {
    const q = randn([B, H, T, D], { device: DEVICE }).to(dtype).requiresGrad_();
    const k = randn([B, H, T, D], { device: DEVICE }).to(dtype).requiresGrad_();
    const v = randn([B, H, T, D], { device: DEVICE }).to(dtype).requiresGrad_();
    const fwd = time(() => noGrad(() => void scaledDotProductAttention(q, k, v, { causal: true })), 10, 2).seconds;
    const g = randn([B, H, T, D], { device: DEVICE }).to(dtype);
    const both = time(() => {
      const o = scaledDotProductAttention(q, k, v, { causal: true }).out;
      o.backward(g);
    }, 5, 1).seconds;
    r[`attention_${dtype}_fwd_ms`] = fwd * 1e3;
    r[`attention_${dtype}_fwd_tflops`] = causalFlops / fwd / 1e12;
    r[`attention_${dtype}_bwd_ms`] = (both - fwd) * 1e3;
    r[`attention_${dtype}_bwd_tflops`] = (2.5 * causalFlops) / (both - fwd) / 1e12;
  }
  emptyCache();
  noGrad(() => {
    const rowsN = small(16384, 8), C = small(768, 16);
    const x = randn([rowsN, C], { device: DEVICE }), w = randn([C], { device: DEVICE }), bias = randn([C], { device: DEVICE });
    const bytes = 2 * rowsN * C * 4;
    // outputs freed as each call ends (tidy), as PyTorch frees a dropped result: the row reads the kernel and
    // the op's dispatch, not the allocator's growth while collected outputs wait for V8
    r.layer_norm_gbs = bytes / time(() => tidy(() => void layerNorm(x, [C], w, bias)), 20, 2).seconds / 1e9;
    r.softmax_gbs = bytes / time(() => tidy(() => void softmax(x, -1)), 20, 2).seconds / 1e9;
    const N = small(64 << 20, 1024);
    const big = randn([N], { device: DEVICE });
    r.add_gbs = (3 * 4 * N) / time(() => void big.add(big), 20, 2).seconds / 1e9;
    r.cast_bf16_gbs = (6 * N) / time(() => void big.to('bfloat16'), 20, 2).seconds / 1e9;
    r.sum_gbs = (4 * N) / time(() => void big.sum(), 20, 2).seconds / 1e9;
  });
  {
    const V = small(50257, 50), N = small(16384, 8);
    const logits = randn([N, V], { device: DEVICE }).requiresGrad_();
    const targets = randint(0, V, [N], { device: DEVICE });
    const t = time(() => crossEntropy(logits, targets).backward(), 5, 1).seconds;
    r.cross_entropy_fwd_bwd_ms = t * 1e3;
    r.cross_entropy_fwd_bwd_gbs = (3 * 4 * N * V) / t / 1e9;
  }
  emptyCache();
  return r;
}

// --- model rows ---

/** Seeded ids made on the host, as a data loader hands them over (their values stay known to the host). */
function hostIds(shape: number[], hi: number, seed: number, lo = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed >>> 0 || 1;
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = BigInt(lo + Math.floor(((s >>> 8) / 16777216) * (hi - lo)));
  }
  return tensor(out, { shape, device: DEVICE });
}

/** Per-op GPU milliseconds per step over `steps` runs of fn (largest first, top 30). */
function profileSteps(fn: () => void, steps = 2): { op: string; calls: number; ms: number }[] {
  if (!CUDA) return [];
  cudaProfile(true);
  for (let i = 0; i < steps; i++) fn();
  // the 'profile' calls themselves span the whole window (their events bracket it): not an op of the step
  return cudaProfile(false).filter((r) => r.op !== 'profile').slice(0, 30).map((r) => ({ op: r.op, calls: r.calls / steps, ms: r.ms / steps }));
}

/**
 * With --cpu-profile, records where the host's time goes over `steps` runs of fn (the steady state, after the
 * timed steps) with V8's sampling profiler at 100 us, and writes it for Chrome DevTools or any .cpuprofile reader.
 */
function cpuProfileSteps(file: string, fn: () => void, steps = 5): void {
  if (!cpuProfileDir) return;
  mkdirSync(cpuProfileDir, { recursive: true });
  const session = new Session();
  session.connect();
  // the in-thread inspector session answers synchronously
  const post = (method: string, params: object = {}): Record<string, unknown> => {
    let answer: Record<string, unknown> | undefined;
    let failure: Error | null = null;
    session.post(method, params, (err, result) => {
      failure = err;
      answer = result as Record<string, unknown>;
    });
    if (failure) throw failure;
    if (!answer) throw new Error(`inspector: no synchronous answer to ${method}`);
    return answer;
  };
  try {
    post('Profiler.enable');
    post('Profiler.setSamplingInterval', { interval: 100 });
    post('Profiler.start');
    for (let i = 0; i < steps; i++) fn();
    sync();
    writeFileSync(`${cpuProfileDir}/${file}.cpuprofile`, JSON.stringify(post('Profiler.stop').profile));
  } finally {
    session.disconnect();
  }
}

const TINY_BERT = { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, vocab_size: 120 };

interface ModelRow {
  name: string;
  unit: string;
  /** Units (tokens, sequences, images) per step. */
  perStep: number;
  flops: RowFlops;
  build(): Module;
  /** The training loss of one batch (inputs made once, reused each step). */
  loss?(m: Module): Tensor;
  /** The inference forward. */
  infer(m: Module): Tensor;
}

function gpt2Row(): ModelRow {
  const B = small(16, 2), T = small(1024, 16);
  const config = gpt2Config('gpt2', { resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0, ...(SMOKE ? { n_layer: 1, n_embd: 32, n_head: 2, vocab_size: 100 } : {}) });
  const ids = hostIds([B, T], config.vocab_size, 1);
  return {
    name: 'gpt2_124M_b16_s1024', unit: 'tokens', perStep: B * T, flops: gpt2Flops(T),
    build: () => new GPT2LMHeadModel(config, DEVICE),
    loss: (m) => (m as GPT2LMHeadModel).forward(ids, { labels: ids }).loss!,
    infer: (m) => (m as GPT2LMHeadModel).forward(ids).logits,
  };
}

function bertPretrainRow(): ModelRow {
  const B = small(32, 2), T = small(512, 16);
  const config = bertPreset('bert-base-uncased', SMOKE ? TINY_BERT : {});
  const ids = hostIds([B, T], config.vocab_size, 2);
  // every 7th token is a masked-LM target, as in the PyTorch script; the rest are ignored (-100)
  const idsHost = ids.toHost() as BigInt64Array;
  const labelHost = new BigInt64Array(B * T).fill(-100n);
  for (let i = 0; i < B; i++) for (let j = 0; j < T; j += 7) labelHost[i * T + j] = idsHost[i * T + j]!;
  const labels = tensor(labelHost, { shape: [B, T], device: DEVICE });
  const nsp = hostIds([B], 2, 3);
  return {
    name: 'bert_base_pretrain_b32_s512', unit: 'sequences', perStep: B, flops: bertPretrainFlops(T),
    build: () => new BertForPreTraining(config, { device: DEVICE }),
    loss: (m) => (m as BertForPreTraining).forward({ inputIds: ids }, { labels, nextSentenceLabel: nsp }).loss!,
    infer: (m) => (m as BertForPreTraining).forward({ inputIds: ids }).predictionLogits,
  };
}

function bertEncodeRow(): ModelRow {
  const B = small(64, 2), T = small(128, 16);
  const config = bertPreset('bert-base-uncased', SMOKE ? TINY_BERT : {});
  const ids = hostIds([B, T], config.vocab_size, 4);
  return {
    name: 'bert_base_encode_b64_s128', unit: 'sequences', perStep: B, flops: bertEncodeFlops(T),
    build: () => new BertModel(config, { device: DEVICE }),
    infer: (m) => (m as BertModel).forward({ inputIds: ids }).lastHiddenState,
  };
}

function vitRow(): ModelRow {
  const B = small(128, 2);
  const config = vitPreset('vit-base-patch16-224', { num_labels: 1000, ...(SMOKE ? { hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, image_size: 32 } : {}) });
  const px = randn([B, 3, small(224, 32), small(224, 32)], { device: DEVICE });
  const labels = hostIds([B], 1000, 5);
  return {
    name: 'vit_b16_224_b128', unit: 'images', perStep: B, flops: vitFlops(small(224, 32)),
    build: () => new ViTForImageClassification(config, { device: DEVICE }),
    loss: (m) => (m as ViTForImageClassification).forward({ pixelValues: px }, { labels }).loss!,
    infer: (m) => (m as ViTForImageClassification).forward({ pixelValues: px }).logits,
  };
}

function transformerRow(): ModelRow {
  const B = small(64, 2), S = small(128, 16), T = small(128, 16), V = small(32000, 100);
  const config = transformerConfig('transformer-base', {
    vocab_size: V, dropout: 0, attention_dropout: 0, activation_dropout: 0,
    ...(SMOKE ? { d_model: 32, encoder_ffn_dim: 64, decoder_ffn_dim: 64, encoder_layers: 1, decoder_layers: 1, encoder_attention_heads: 2, decoder_attention_heads: 2 } : {}),
  });
  const src = hostIds([B, S], V, 6, 2);
  const tgt = hostIds([B, T], V, 7, 2);
  return {
    name: 'transformer_base_b64_s128', unit: 'target_tokens', perStep: B * T, flops: transformerBaseFlops(S, T),
    build: () => new TransformerMTModel(config, DEVICE),
    loss: (m) => (m as TransformerMTModel).forward(src, { labels: tgt }).loss!,
    infer: (m) => (m as TransformerMTModel).forward(src, { labels: tgt }).logits,
  };
}

function runModel(row: ModelRow): Json {
  const r: Json = {};
  manualSeed(0);
  const model = row.build();
  r.params_M = model.numParameters() / 1e6;
  const modes: ('bf16' | 'fp32')[] = withFp32 ? ['bf16', 'fp32'] : ['bf16'];
  for (const mode of modes) {
    const amp = <T>(fn: () => T) => (mode === 'bf16' ? withAutocast('bfloat16', fn) : fn());
    allowTF32(mode === 'fp32');
    const peak = mode === 'bf16' ? H200_PEAK.bf16 : H200_PEAK.tf32;
    if (row.loss) {
      model.train();
      const opt = new optim.AdamW(model.parameters(), { lr: 1e-4 });
      // forward and backward in a step scope, as the Trainer runs them: the activations are freed as the
      // step ends, not at the next garbage collection
      const step = () => {
        stepScope(() => amp(() => row.loss!(model)).backward());
        opt.step();
        opt.zeroGrad();
      };
      const t = time(step);
      const rate = row.perStep / t.seconds;
      r[`train_${mode}_${row.unit}_per_s`] = rate;
      r[`train_${mode}_step_ms`] = t.seconds * 1e3;
      r[`train_${mode}_host_ms`] = t.hostSeconds * 1e3;
      r[`train_${mode}_collections`] = { minor: t.minorGc, major: t.majorGc };
      r[`train_${mode}_mfu`] = (rate * row.flops.trainPerUnit) / peak;
      if (withProfile) r[`train_${mode}_profile`] = profileSteps(step);
      cpuProfileSteps(`${row.name}-train-${mode}`, step);
    }
    model.eval();
    const t = time(() => noGrad(() => void amp(() => row.infer(model))));
    const rate = row.perStep / t.seconds;
    r[`infer_${mode}_${row.unit}_per_s`] = rate;
    r[`infer_${mode}_host_ms`] = t.hostSeconds * 1e3;
    r[`infer_${mode}_collections`] = { minor: t.minorGc, major: t.majorGc };
    r[`infer_${mode}_mfu`] = (rate * row.flops.inferPerUnit) / peak;
    if (withProfile) r[`infer_${mode}_profile`] = profileSteps(() => noGrad(() => void amp(() => row.infer(model))));
    cpuProfileSteps(`${row.name}-infer-${mode}`, () => noGrad(() => void amp(() => row.infer(model))), 20);
  }
  allowTF32(false);
  if (CUDA) {
    const mem = cudaMemoryStats(DEVICE);
    r.peak_memory_GiB = mem.peak / 2 ** 30;
    r.collections = { minor: mem.minorCollections, major: mem.majorCollections, oomRetries: mem.oomRetries };
  }
  return r;
}

const builders: Record<string, () => ModelRow> = {
  gpt2: gpt2Row, 'bert-pretrain': bertPretrainRow, 'bert-encode': bertEncodeRow, vit: vitRow, transformer: transformerRow,
};

for (const name of rows) {
  try {
    const r = name === 'kernels' ? kernels() : (() => {
      const row = builders[name];
      if (!row) throw new Error(`unknown row '${name}' (expected ${ALL_ROWS.join(', ')})`);
      const built = row();
      const out = runModel(built);
      results[built.name] = out;
      return out;
    })();
    if (name === 'kernels') results.kernels = r;
    log(name, r);
  } catch (err) {
    const message = err instanceof Error ? `${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n')}` : String(err);
    results[name] = { error: message };
    log(name, { error: message });
  }
  emptyCache();
  writeFileSync(outPath, JSON.stringify(results, null, 1));
}
process.stdout.write(`wrote ${outPath}\n`);
