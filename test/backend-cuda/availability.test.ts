// The cuda device's presence or absence: without a GPU (CI) the device reports why it is unavailable and
// nothing else breaks; with one, the device strings resolve and errors name the op and the devices.
// Also autocast's contract on backends without a half compute type (runs everywhere).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeviceMismatchError, getBackend, isDeviceAvailable, linear, matmul, tensor, TesseraError,
} from '../../src/index.js';
import { cudaUnavailableReason } from '../../src/backend/cuda/index.js';
import { autocastDType, withAutocast, withoutAutocast } from '../../src/tensor/autocast.js';
import { skipCuda } from './util.js';

test('without a usable GPU, cuda reports why it is unavailable instead of crashing', { skip: skipCuda === false ? 'a GPU is present' : false }, () => {
  assert.equal(isDeviceAvailable('cuda'), false);
  assert.throws(() => getBackend('cuda'), (e: Error) => e instanceof TesseraError && /^cuda is unavailable: .+/.test(e.message));
  assert.throws(() => tensor([1, 2], { device: 'cuda:1' }), (e: Error) => e instanceof TesseraError && /^cuda:1 is unavailable: /.test(e.message));
  assert.match(cudaUnavailableReason() ?? '', /^cuda is unavailable: /);
  // the reference device is untouched
  assert.deepEqual(tensor([1, 2], { device: 'cpu-js' }).add(1).toList(), [2, 3]);
});

test('with a GPU: cuda and cuda:0 are one device; a missing index names the device count', { skip: skipCuda }, () => {
  const be = getBackend('cuda');
  assert.equal(be.device, 'cuda:0');
  assert.equal(getBackend('cuda:0'), be);
  assert.equal(tensor([1], { device: 'cuda' }).device, 'cuda:0');
  // either spelling first, one instance: tensors made through both mix freely
  const a = tensor([1, 2], { device: 'cuda:0' }), b = tensor([3, 4], { device: 'cuda' });
  assert.deepEqual(a.add(b).toList(), [4, 6]);
  assert.throws(() => getBackend('cuda:64'), /cuda:64 is unavailable: this machine has \d+ CUDA device/);
});

test('mixing a cuda tensor with a cpu-js tensor names the op, the shapes and both devices', { skip: skipCuda }, () => {
  const a = tensor([1, 2], { device: 'cuda' });
  const b = tensor([1, 2], { device: 'cpu-js' });
  assert.throws(() => a.add(b), (e: Error) => e instanceof DeviceMismatchError && /add: tensors on different devices: \[2\] on cuda:0 and \[2\] on cpu-js/.test(e.message));
});

test('autocast is a scoped setting and leaves backends without a half compute type in float32', () => {
  assert.equal(autocastDType(), null);
  const x = tensor([[1, 2], [3, 4]], { device: 'cpu-js' });
  const w = tensor([[0.5, -1], [2, 0.25]], { device: 'cpu-js' });
  const [y, z] = withAutocast('bfloat16', () => {
    assert.equal(autocastDType(), 'bfloat16');
    assert.equal(withoutAutocast(() => autocastDType()), null);
    return [matmul(x, w), linear(x, w)];
  });
  assert.equal(autocastDType(), null);
  assert.equal(y.dtype, 'float32');
  assert.deepEqual(y.toList(), [[4.5, -0.5], [9.5, -2]]);
  assert.equal(z.dtype, 'float32');
  assert.throws(() => withAutocast('float64' as 'bfloat16', () => 0), /autocast: dtype must be 'bfloat16' or 'float16'/);
});
