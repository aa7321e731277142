// Module tree behaviour (names, stateDict, strict loading errors, train/eval) and two small models that
// must learn: a 2-layer MLP and a one-block attention model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropy, manualSeed, nn, optim, randn, tensor, zeros, type Tensor } from '../../src/index.js';
import { forEachDevice } from '../helpers/devices.js';

class MLP extends nn.Module {
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;
  constructor(inF: number, hidden: number, outF: number, device: string) {
    super();
    this.fc1 = this.addModule('fc1', new nn.Linear(inF, hidden, { device }));
    this.fc2 = this.addModule('fc2', new nn.Linear(hidden, outF, { device }));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

/** Embedding + one pre-LN attention block + output head, predicting the token seen 2 steps earlier. */
class TinyAttention extends nn.Module {
  readonly emb: nn.Embedding;
  readonly pos: nn.Embedding;
  readonly ln: nn.LayerNorm;
  readonly attn: nn.MultiHeadAttention;
  readonly ff: nn.FeedForward;
  readonly head: nn.Linear;
  constructor(vocab: number, T: number, C: number, device: string) {
    super();
    this.emb = this.addModule('emb', new nn.Embedding(vocab, C, { device }));
    this.pos = this.addModule('pos', new nn.Embedding(T, C, { device }));
    this.ln = this.addModule('ln', new nn.LayerNorm(C, { device }));
    this.attn = this.addModule('attn', new nn.MultiHeadAttention(C, 2, { device }));
    this.ff = this.addModule('ff', new nn.FeedForward(C, 2 * C, { activation: 'gelu', device }));
    this.head = this.addModule('head', new nn.Linear(C, vocab, { device }));
  }
  forward(ids: Tensor): Tensor {
    const T = ids.dim(1);
    const posIds = tensor(Array.from({ length: T }, (_, i) => i), { dtype: 'int32', device: ids.device });
    let x = this.emb.forward(ids).add(this.pos.forward(posIds));
    const h = this.ln.forward(x);
    x = x.add(this.attn.forward(h, h, h, { causal: true }).output);
    x = x.add(this.ff.forward(x));
    return this.head.forward(x);
  }
}

forEachDevice('nn modules', (device) => {
  test('dotted names, stateDict and strict loading errors', () => {
    const m = new MLP(4, 8, 3, device);
    assert.deepEqual(m.namedParameters().map(([n]) => n), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    assert.equal(m.numParameters(), 4 * 8 + 8 + 8 * 3 + 3);
    const sd = m.stateDict();
    const m2 = new MLP(4, 8, 3, device);
    m2.loadStateDict(sd);
    const x = randn([2, 4], { device });
    assert.deepEqual(m2.forward(x).toList(), m.forward(x).toList());
    const bad = new Map(sd);
    bad.set('fc2.weight', zeros([3, 9], { device }));
    assert.throws(() => m2.loadStateDict(bad), /'fc2\.weight' has shape \[3, 9\] in the checkpoint but \[3, 8\] in the model/);
    const missing = new Map(sd);
    missing.delete('fc1.bias');
    missing.set('extra.weight', zeros([1], { device }));
    assert.throws(() => m2.loadStateDict(missing), /missing fc1\.bias; unexpected extra\.weight/);
    const r = m2.loadStateDict(missing, { strict: false });
    assert.deepEqual(r, { missingKeys: ['fc1.bias'], unexpectedKeys: ['extra.weight'] });
  });

  test('train() and eval() reach every submodule; dropout only in training', () => {
    const d = new nn.Dropout(0.5);
    const m = new nn.Module();
    m.addModule('d', d);
    m.eval();
    assert.equal(d.training, false);
    const x = randn([100], { device });
    assert.deepEqual(d.forward(x).toList(), x.toList());
    m.train();
    assert.ok(d.forward(x).toArray().some((v) => v === 0));
  });

  test('Embedding padding row gets no gradient; LSTM and attention validate shapes', () => {
    manualSeed(0);
    const e = new nn.Embedding(5, 3, { paddingIdx: 0, device });
    assert.deepEqual(Array.from(e.weight.toArray().slice(0, 3)), [0, 0, 0]);
    e.forward(tensor([[0, 1, 0]], { dtype: 'int64', device })).sum().backward();
    assert.deepEqual(Array.from(e.weight.grad!.toArray().slice(0, 6)), [0, 0, 0, 1, 1, 1]);
    assert.throws(() => e.forward(tensor([5], { dtype: 'int64', device })), /index 5 is out of range/);
    const lstm = new nn.LSTM(3, 4, { device });
    assert.throws(() => lstm.forward(randn([2, 5, 2], { device })), /input of shape \[2, 5, 2\] is not \(B, T, 3\)/);
    assert.throws(() => lstm.forward(randn([2, 5, 3], { device }), { lengths: [5, 6] }), /length 6 is outside \[1, 5\]/);
  });

  test('a 2-layer MLP learns XOR-like data (loss falls clearly)', () => {
    manualSeed(1);
    const m = new MLP(2, 16, 2, device);
    const opt = new optim.Adam(m.parameters(), { lr: 0.05 });
    const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]], { device });
    const y = tensor([0, 1, 1, 0], { dtype: 'int64', device });
    const losses: number[] = [];
    for (let i = 0; i < 150; i++) {
      const loss = crossEntropy(m.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    assert.ok(losses[149]! < 0.05 && losses[0]! > 0.5, `loss ${losses[0]} -> ${losses[149]}`);
  });

  test('a one-block attention model learns to copy the token two steps back', () => {
    manualSeed(2);
    const V = 8, T = 8;
    const m = new TinyAttention(V, T, 32, device);
    const opt = new optim.AdamW(m.parameters(), { lr: 0.01, weightDecay: 0 });
    const losses: number[] = [];
    for (let step = 0; step < 120; step++) {
      const ids = randn([16, T], { device }).mul(100).abs().floor().clamp(0, 1e9).to('int64');
      const data = ids.toArray();
      const seq = tensor(Array.from(data, (v) => v % V), { dtype: 'int64', shape: [16, T], device });
      // target at t is the token at t-2 (-100 for the first two positions)
      const tgt = Array.from(seq.toArray(), (_, i) => (i % T < 2 ? -100 : seq.toArray()[i - 2]!));
      const loss = crossEntropy(m.forward(seq), tensor(tgt, { dtype: 'int64', shape: [16, T], device }));
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    const first = losses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = losses.slice(-10).reduce((a, b) => a + b) / 10;
    assert.ok(last < 0.3 * first, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  });
});
