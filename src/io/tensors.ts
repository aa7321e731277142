// Safetensors <-> Tensor: load a file's tensors onto a device, save tensors (any device) to a file.
import { Tensor } from '../tensor/tensor.js';
import { readSafetensors, writeSafetensors, type HostTensorInput } from './safetensors.js';

/** Every tensor of a safetensors file, on `device`, by name. */
export function loadTensors(path: string, device?: string): Map<string, Tensor> {
  const file = readSafetensors(path);
  const out = new Map<string, Tensor>();
  for (const [name, t] of file.tensors) out.set(name, Tensor.fromHost(t.data, t.shape, t.dtype, device));
  return out;
}

/** Writes tensors (read back from their devices) to a safetensors file, atomically. */
export function saveTensors(path: string, tensors: ReadonlyMap<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): void {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const dict = new Map<string, HostTensorInput>();
  for (const [name, t] of entries) dict.set(name, { dtype: t.dtype, shape: t.shape, data: t.toHost() });
  writeSafetensors(path, dict, metadata);
}
