// Memory scopes: tidy frees what its result does not reach (inference only), keeps what is reached or kept,
// and the models' inference forwards free their intermediates without changing their results.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, keep, manualSeed, nn, noGrad, optim, randn, tensor, tidy, type Tensor } from '../../src/index.js';
import { releaseOwned, stepScope } from '../../src/tensor/scope.js';
import { BertModel, bertConfig } from '../../src/models/bert/index.js';
import { forEachDevice } from '../helpers/devices.js';
import { assertClose } from '../helpers/assert.js';

/** True when reading t fails because its storage was freed (only backends with release() free early). */
function isFreed(t: Tensor): boolean {
  try {
    t.toArray();
    return false;
  } catch (e) {
    assert.match(String(e), /released/);
    return true;
  }
}

forEachDevice('tidy', (device) => {
  const frees = typeof getBackend(device).release === 'function';

  it('frees an intermediate the result does not reach, keeps the result and the inputs', () => {
    const x = randn([4, 5], { device });
    let leaked: Tensor | null = null;
    const y = noGrad(() => tidy(() => {
      const a = x.mul(2);
      leaked = a;
      return a.add(1).sum(1);
    }));
    assertClose(y, x.mul(2).add(1).sum(1), { atol: 1e-6, name: 'result' });
    assert.equal(isFreed(x), false);
    assert.equal(isFreed(leaked!), frees);
  });

  it('keeps tensors reached through arrays, Maps, Sets, objects and views', () => {
    const x = randn([2, 3], { device });
    const out = noGrad(() => tidy(() => {
      const a = x.add(1), b = x.add(2), c = x.add(3), d = x.add(4);
      return { list: [a.reshape([3, 2])], map: new Map([['b', b]]), set: new Set([c]), nested: { deep: { d } } };
    }));
    assertClose(out.list[0]!.reshape([2, 3]), x.add(1), { atol: 1e-6 });
    assertClose(out.map.get('b')!, x.add(2), { atol: 1e-6 });
    assertClose([...out.set][0]!, x.add(3), { atol: 1e-6 });
    assertClose(out.nested.deep.d, x.add(4), { atol: 1e-6 });
  });

  it('nested scopes hand the inner result to the outer one, which frees it when unreached', () => {
    const x = randn([3], { device });
    let inner: Tensor | null = null;
    const r = noGrad(() => tidy(() => {
      inner = tidy(() => x.mul(3));
      assert.equal(isFreed(inner), false);
      return inner.add(1);
    }));
    assertClose(r, x.mul(3).add(1), { atol: 1e-6 });
    assert.equal(isFreed(inner!), frees);
  });

  it('frees nothing while autograd records, and nothing when fn throws', () => {
    const x = randn([3], { device, requiresGrad: true });
    let mid: Tensor | null = null;
    const y = tidy(() => {
      mid = x.mul(2);
      return mid.exp().sum();
    });
    y.backward();
    assert.equal(isFreed(mid!), false);
    assertClose(x.grad!, x.detach().mul(2).exp().mul(2), { atol: 1e-5 });
    let kept: Tensor | null = null;
    assert.throws(() => noGrad(() => tidy(() => {
      kept = x.detach().add(1);
      throw new Error('boom');
    })), /boom/);
    assert.equal(isFreed(kept!), false);
  });

  it('keep(), module buffers and optimizer state survive a scope', () => {
    const lin = new nn.Linear(3, 2, { device });
    const opt = new optim.AdamW(lin.parameters(), { lr: 0.1 });
    const x = randn([4, 3], { device });
    // gradients and AdamW state created while a scope is open (its own step runs without gradients)
    const loss = lin.forward(x).square().mean();
    loss.backward();
    let pinned: Tensor | null = null;
    let buffer: Tensor | null = null;
    noGrad(() => tidy(() => {
      opt.step();
      pinned = keep(x.add(5));
      buffer = lin.addBuffer('scratch', x.mul(7));
      return null;
    }));
    assert.equal(isFreed(pinned!), false);
    assert.equal(isFreed(buffer!), false);
    for (const p of lin.parameters()) assert.equal(isFreed(p.grad!), false);
    // a second step reads the first step's state
    opt.zeroGrad();
    lin.forward(x).square().mean().backward();
    opt.step();
    assert.ok(Number.isFinite(lin.forward(x).sum().item()));
  });

  it('releaseOwned frees a dead tensor of the current scope unless an alive one shares its storage', () => {
    const x = randn([2, 2], { device });
    let a: Tensor | null = null, b: Tensor | null = null;
    noGrad(() => tidy(() => {
      a = x.add(1);
      b = x.add(2);
      releaseOwned(a);
      releaseOwned(b, b.reshape([4]));
      releaseOwned(x);
      return null;
    }));
    assert.equal(isFreed(x), false);
    assert.equal(isFreed(a!), frees);
  });

  it('a BERT inference forward frees its intermediates and gives the same outputs as with autograd on', () => {
    manualSeed(0);
    const config = bertConfig({ vocab_size: 50, hidden_size: 16, num_hidden_layers: 3, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16 });
    const model = new BertModel(config, { device }).eval();
    const ids = tensor([[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]], { dtype: 'int64', device });
    const ref = model.forward({ inputIds: ids }, { outputHiddenStates: true });
    const a = noGrad(() => model.forward({ inputIds: ids }));
    const b = noGrad(() => model.forward({ inputIds: ids }, { outputHiddenStates: true, outputAttentions: true }));
    assertClose(a.lastHiddenState, ref.lastHiddenState.detach(), { atol: 1e-5, name: 'lastHiddenState' });
    assert.equal(b.hiddenStates!.length, 4);
    b.hiddenStates!.forEach((h, i) => assertClose(h, ref.hiddenStates![i]!.detach(), { atol: 1e-5, name: `hiddenStates.${i}` }));
    assert.equal(b.attentions!.length, 3);
    assertClose(a.poolerOutput!, ref.poolerOutput!.detach(), { atol: 1e-5, name: 'poolerOutput' });
  });

  it('stepScope: a training step frees its activations after backward, keeps gradients, and matches a plain step', () => {
    manualSeed(0);
    const config = bertConfig({ vocab_size: 50, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16,
      hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 });
    const a = new BertModel(config, { device }), b = new BertModel(config, { device });
    b.loadStateDict(a.stateDict());
    const ids = tensor([[1, 2, 3, 4], [5, 6, 7, 8]], { dtype: 'int64', device });
    let hidden: Tensor | null = null;
    const loss = stepScope(() => {
      hidden = a.forward({ inputIds: ids }).lastHiddenState;
      const l = hidden.square().mean();
      l.backward();
      return l.item();
    });
    const ref = b.forward({ inputIds: ids }).lastHiddenState.square().mean();
    ref.backward();
    assert.ok(Math.abs(loss - ref.item()) < 1e-6);
    assert.equal(isFreed(hidden!), frees);
    const ga = a.namedParameters(), gb = new Map(b.namedParameters());
    for (const [name, p] of ga) {
      const other = gb.get(name)!.grad;
      assert.equal(p.grad === null, other === null, name);
      if (p.grad) assertClose(p.grad, other!, { atol: 1e-6, name });
    }
  });
});
