// Real files written by PyTorch's safetensors (test/fixtures/lstm): names, shapes and values read back,
// and re-serialising them reproduces the original bytes exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors, readConfig, readSafetensors, serializeSafetensors } from '../../src/io/index.js';
import { repoRoot } from './util.js';

const dir = join(repoRoot(), 'test', 'fixtures', 'lstm');

test('lstm model.safetensors: PyTorch parameter names, shapes and values', () => {
  const { tensors, metadata } = readSafetensors(join(dir, 'model.safetensors'));
  assert.deepEqual(metadata, {});
  assert.equal(tensors.size, 20);
  // 2 layers x 2 directions x (weight_ih, weight_hh, weight_hr, bias_ih, bias_hh); 4 gates x hidden 32 = 128 rows.
  const meta = readConfig(join(dir, 'meta.json'));
  const [input, hidden, proj] = [meta['input_size'], meta['hidden_size'], meta['proj_size']] as number[];
  for (const layer of [0, 1]) {
    for (const suffix of ['', '_reverse']) {
      const s = `_l${layer}${suffix}`;
      assert.deepEqual(tensors.get(`weight_ih${s}`)!.shape, [4 * hidden!, layer === 0 ? input! : 2 * proj!]);
      assert.deepEqual(tensors.get(`weight_hh${s}`)!.shape, [4 * hidden!, proj!]);
      assert.deepEqual(tensors.get(`weight_hr${s}`)!.shape, [proj!, hidden!]);
      assert.deepEqual(tensors.get(`bias_ih${s}`)!.shape, [4 * hidden!]);
      assert.deepEqual(tensors.get(`bias_hh${s}`)!.shape, [4 * hidden!]);
    }
  }
  for (const t of tensors.values()) {
    assert.equal(t.dtype, 'float32');
    assert.ok(t.data instanceof Float32Array);
  }
  // Values read independently with Python's struct module.
  const w = tensors.get('weight_ih_l0')!.data as Float32Array;
  assert.deepEqual([...w.subarray(0, 3)], [0.012346982024610043, -0.1064891517162323, 0.056289833039045334]);
  const b = tensors.get('bias_hh_l1_reverse')!.data as Float32Array;
  assert.equal(b[b.length - 1], -0.12815748155117035);
});

test('lstm inputs (with int64 lengths) and expected outputs', () => {
  const inputs = readSafetensors(join(dir, 'inputs.safetensors')).tensors;
  assert.deepEqual([...inputs.keys()], ['lengths', 'R', 'input']);
  const lengths = inputs.get('lengths')!;
  assert.equal(lengths.dtype, 'int64');
  assert.deepEqual([...(lengths.data as BigInt64Array)], [7n, 5n, 3n]);
  assert.deepEqual(inputs.get('input')!.shape, [3, 7, 24]);
  assert.deepEqual(inputs.get('R')!.shape, [3, 7, 32]);

  const r = openSafetensors(join(dir, 'expected.safetensors'));
  try {
    assert.equal(r.keys().length, 30);
    assert.deepEqual(r.info('output'), { dtype: 'float32', shape: [3, 7, 32], dataOffsets: [113736, 116424] });
    assert.deepEqual(r.info('h_n').shape, [4, 3, 16]);
    assert.deepEqual(r.info('c_n').shape, [4, 3, 32]);
    assert.ok(r.keys().includes('grad.weight_hr_l1_reverse'));
    assert.deepEqual([...(r.get('loss').data as Float32Array)], [-1.520128846168518]);
  } finally {
    r.close();
  }
});

test('re-serialising each lstm file reproduces its bytes exactly', () => {
  for (const name of ['model.safetensors', 'inputs.safetensors', 'expected.safetensors']) {
    const path = join(dir, name);
    const { tensors } = readSafetensors(path);
    assert.ok(Buffer.from(serializeSafetensors(tensors)).equals(readFileSync(path)), name);
  }
});
