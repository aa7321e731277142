// Loading and saving Hugging Face checkpoint folders (config.json + model.safetensors) for any family:
// name-for-name copy with shape checks, base-model prefix added or stripped, legacy gamma/beta names,
// tied weights; families only list their real format differences.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, ShapeError, TesseraError } from '../errors.js';
import { readConfig, writeConfig, type ConfigObject } from '../io/config.js';
import { readSafetensors } from '../io/safetensors.js';
import { loadTensors, saveTensors } from '../io/tensors.js';
import { noGrad } from '../autograd/engine.js';
import type { Module } from '../nn/module.js';
import { shapeStr } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** How a family maps checkpoint names onto its modules. */
export interface CheckpointSpec {
  /** The base model's prefix in head models' checkpoints ('bert', 'transformer', 'vit', 'model'). */
  basePrefix?: string;
  /** Names of the model that may be absent from a checkpoint because they are tied to another (e.g. 'lm_head.weight'). */
  tiedKeys?: readonly string[];
  /** Checkpoint names to ignore when present (buffers such as position_ids, GPT-2's attn.bias masks). */
  ignoreKeys?: readonly RegExp[];
  /** Per-name transform at load (checkpoint tensor -> model layout), e.g. a transpose. */
  onLoad?: (name: string, t: Tensor) => Tensor;
  /** Per-name transform at save (model tensor -> checkpoint layout), onLoad's inverse. */
  onSave?: (name: string, t: Tensor) => Tensor;
  /** Renames a checkpoint key at load (an older layout's name -> the model's), after the gamma/beta rename. */
  renameKey?: (name: string) => string;
  /** Model names that may be absent from the checkpoint and keep their initial values (a new task head). */
  allowMissing?: (name: string) => boolean;
}

/** Reads config.json of a checkpoint folder, with errors naming the folder. */
export function readModelConfig(dir: string): ConfigObject {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TesseraError(`model folder '${dir}' does not exist`);
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new TesseraError(`model folder '${dir}' has no config.json`);
  return readConfig(path);
}

/** The weights file of a checkpoint folder. */
export function weightsPath(dir: string): string {
  const path = join(dir, 'model.safetensors');
  if (!existsSync(path)) throw new TesseraError(`model folder '${dir}' has no model.safetensors`);
  return path;
}

/** Renames legacy TF-era names: LayerNorm.gamma -> .weight, .beta -> .bias. */
export function modernName(name: string): string {
  return name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
}

/**
 * Loads checkpoint tensors into `model` by name. Checkpoint keys may carry or lack the base prefix; legacy
 * gamma/beta names are accepted. Every model tensor must be found (except tied ones) and have the same shape:
 * a missing or misshapen tensor fails naming it (and both shapes).
 */
export function loadCheckpointInto(model: Module, source: string | Map<string, Tensor>, spec: CheckpointSpec = {}, device?: string): void {
  const ckpt = typeof source === 'string' ? loadTensors(source, device) : source;
  const where = typeof source === 'string' ? source : 'checkpoint';
  const own = model.stateDict();
  const ownHasPrefix = spec.basePrefix ? [...own.keys()].some((k) => k.startsWith(`${spec.basePrefix}.`)) : false;
  const normalized = new Map<string, Tensor>();
  for (const [rawName, t] of ckpt) {
    let name = modernName(rawName);
    if (spec.renameKey) name = spec.renameKey(name);
    if (spec.ignoreKeys?.some((r) => r.test(name))) continue;
    if (spec.basePrefix) {
      const p = `${spec.basePrefix}.`;
      if (ownHasPrefix && !name.startsWith(p) && !own.has(name) && own.has(p + name)) name = p + name;
      else if (!ownHasPrefix && name.startsWith(p) && !own.has(name)) name = name.slice(p.length);
    }
    normalized.set(name, t);
  }
  const tied = new Set(spec.tiedKeys ?? []);
  const missing = [...own.keys()].filter((k) => !normalized.has(k) && !tied.has(k) && !spec.allowMissing?.(k));
  if (missing.length) {
    throw new FormatError(`${where}: missing tensor${missing.length > 1 ? 's' : ''} ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''}`);
  }
  noGrad(() => {
    for (const [name, target] of own) {
      let t = normalized.get(name);
      if (!t) continue;
      if (spec.onLoad) t = spec.onLoad(name, t);
      if (t.shape.join() !== target.shape.join()) {
        throw new ShapeError(`${where}: tensor '${name}' has shape ${shapeStr(t.shape)} but the model expects ${shapeStr(target.shape)}`);
      }
      target.assign_(t);
    }
  });
}

/** The names of a safetensors file (no data read beyond the header is needed by callers). */
export function checkpointKeys(path: string): string[] {
  return [...readSafetensors(path).tensors.keys()];
}

/**
 * Writes `dir/config.json` and `dir/model.safetensors` (atomically each) in the layout Hugging Face loads:
 * tied duplicates dropped, family transforms applied, metadata {format: 'pt'}.
 */
export function saveCheckpoint(dir: string, model: Module, config: ConfigObject, spec: CheckpointSpec = {}): void {
  mkdirSync(dir, { recursive: true });
  const out = new Map<string, Tensor>();
  const seen = new Set<Tensor>();
  const tied = new Set(spec.tiedKeys ?? []);
  const state = model.stateDict();
  // a tied key is written only when its partner is not in the file (HF drops tied copies)
  for (const [name, t] of state) {
    if (tied.has(name) && seen.has(t)) continue;
    seen.add(t);
    out.set(name, spec.onSave ? spec.onSave(name, t).contiguous() : t.contiguous());
  }
  for (const name of tied) if (out.has(name) && [...state].some(([k, t]) => k !== name && t === state.get(name) && out.has(k))) out.delete(name);
  saveTensors(join(dir, 'model.safetensors'), out, { format: 'pt' });
  writeConfig(join(dir, 'config.json'), config);
}
