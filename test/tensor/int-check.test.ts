// findOutOfRange: exact on synchronous backends; on backends that know ids on the host (knownInts) it reads
// no device values when the known range or values settle it, and defers to the device when nothing is known.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, tensor, type Backend, type Storage } from '../../src/index.js';
import { findOutOfRange } from '../../src/tensor/int-check.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { forEachDevice } from '../helpers/devices.js';

forEachDevice('findOutOfRange', (device) => {
  it('finds the first bad value and its position, skips the allowed value, passes good and empty tensors', () => {
    const t = tensor([[1, 2, -100], [7, 3, 9]], { dtype: 'int64', device });
    assert.deepEqual(findOutOfRange(t, 0, 8, -100), { value: 9, index: 5 });
    assert.deepEqual(findOutOfRange(t, 0, 8), { value: -100, index: 2 });
    assert.equal(findOutOfRange(t, 0, 10, -100), null);
    assert.deepEqual(findOutOfRange(t.narrow(1, 1, 2), 0, 8, -100), { value: 9, index: 3 });
    assert.equal(findOutOfRange(tensor([], { dtype: 'int32', device }), 0, 1), null);
  });
});

it('with knownInts: no device read when the host knows enough; undefined when it knows nothing', () => {
  const base = getBackend('cpu-js');
  let reads = 0;
  let known: { min: number; max: number; values?: ArrayLike<number> } | null = null;
  const fake: Backend = Object.assign(Object.create(base) as Backend, {
    knownInts: (_s: Storage) => known,
    toHost: (s: Storage, l: Parameters<Backend['toHost']>[1]) => { reads++; return base.toHost(s, l); },
  });
  const host = tensor([[0, 5, -100]], { dtype: 'int64', device: 'cpu-js' });
  const t = new Tensor(host.storage, host.layout, fake);
  known = null;
  assert.equal(findOutOfRange(t, 0, 8, -100), undefined);
  known = { min: -100, max: 5 };
  known.values = [0, 5, -100];
  assert.equal(findOutOfRange(t, 0, 8, -100), null);
  assert.equal(reads, 0, 'settled by the known values');
  known = { min: 0, max: 5 };
  assert.equal(findOutOfRange(t.narrow(1, 0, 2), 0, 8), null);
  assert.equal(reads, 0, 'settled by the known range');
  known = { min: -100, max: 5 };
  assert.deepEqual(findOutOfRange(t, 0, 8), { value: -100, index: 2 });
  assert.equal(reads, 1, 'a suspicious range is read exactly');
});
