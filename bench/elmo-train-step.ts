// ELMo training-step benchmark: forward (char CNN, biLSTM, softmax), backward and Adam step of a preset on
// batches of a text file, with time per part, tokens per second and tokens per CPU-second (steadier than wall
// time on a shared machine). The first step is a warm-up and is not counted.
// node dist/bench/elmo-train-step.js --data FILE [--batch-tokens 1024] [--steps 6] [--softmax full|sampled]
//   [--load MODEL_DIR] [--preset elmo-small] [--device cpu]
import { parseArgs } from 'node:util';
import '../src/backend/all.js';
import { TesseraError } from '../src/errors.js';
import { Adam } from '../src/optim/adam.js';
import { manualSeed } from '../src/tensor/creation.js';
import {
  ELMO_PRESETS, ElmoLanguageModel, ElmoVocabulary, chunkSentences, elmoConfig, encodeBatch, loadElmo, makeBatches, readSentences, seededRandom,
  type ElmoPresetName,
} from '../src/models/elmo/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' }, 'batch-tokens': { type: 'string', default: '1024' }, steps: { type: 'string', default: '6' },
    softmax: { type: 'string', default: 'full' }, load: { type: 'string' }, preset: { type: 'string', default: 'elmo-small' },
    device: { type: 'string', default: 'cpu' },
  },
});
if (!values.data) throw new TesseraError('--data FILE is required (e.g. WikiText-2 valid.txt)');
const maxTokens = Number(values['batch-tokens']);
const steps = Number(values.steps);
if (!(steps >= 2)) throw new TesseraError('--steps must be 2 or more (the first is a warm-up)');
if (values.softmax !== 'full' && values.softmax !== 'sampled') throw new TesseraError(`--softmax must be 'full' or 'sampled'`);
if (!(values.preset! in ELMO_PRESETS)) throw new TesseraError(`--preset must be one of ${Object.keys(ELMO_PRESETS).join(', ')}`);
const device = values.device!;
const sentences = readSentences(values.data);
// a trained model (--load) brings its vocabulary; otherwise words seen twice or more, and fresh weights
const loaded = values.load ? loadElmo(values.load, { device }) : null;
const vocab = loaded ? loaded.vocab : ElmoVocabulary.fromSentences(sentences, { minCount: 2 });
manualSeed(1);
const config = loaded ? { ...loaded.config, softmax: values.softmax } : elmoConfig(values.preset as ElmoPresetName, { vocab_size: vocab.size, softmax: values.softmax });
const model = new ElmoLanguageModel(config, { device });
if (loaded) model.loadStateDict(loaded.model.stateDict());
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const batches = makeBatches(chunkSentences(sentences, 40), { maxTokens, random: seededRandom(3) });
model.train();

const ms: Record<string, number> = {};
const timed = <T>(key: string, f: () => T): T => {
  const t0 = performance.now();
  const r = f();
  ms[key] = (ms[key] ?? 0) + performance.now() - t0;
  return r;
};
for (const [key, m] of [['charCnn', model.tokenEmbedder], ['lstm', model.lstm]] as const) {
  const f = m.forward.bind(m) as (...a: unknown[]) => unknown;
  (m as unknown as { forward: (...a: unknown[]) => unknown }).forward = (...a) => timed(key, () => f(...a));
}
let tokens = 0, t1 = 0, c1 = process.cpuUsage();
for (let i = 0; i < steps; i++) {
  const enc = encodeBatch(batches[i % batches.length]!, vocab, model.config.char_cnn.max_characters_per_token, device);
  const out = timed('forward', () => model.forward(enc.ids, enc.lengths, enc.wordIds));
  optimizer.zeroGrad();
  timed('backward', () => out.loss.backward());
  timed('step', () => optimizer.step());
  tokens += out.forwardTokens;
  await new Promise((r) => setImmediate(r));
  if (i === 0) {
    tokens = 0;
    for (const k of Object.keys(ms)) ms[k] = 0;
    t1 = performance.now();
    c1 = process.cpuUsage();
  }
}
const seconds = (performance.now() - t1) / 1000;
const cpu = process.cpuUsage(c1);
const n = steps - 1;
console.log(JSON.stringify({
  preset: values.preset, softmax: values.softmax, batchTokens: maxTokens, steps: n, device,
  tokensPerSecond: Math.round(tokens / seconds), tokensPerCpuSecond: Math.round(tokens / ((cpu.user + cpu.system) / 1e6)),
  msPerStep: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v / n)])),
}));
