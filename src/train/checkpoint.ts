// Training checkpoints: each one a folder step-NNNNNNNN/ holding the model and optimizer tensors
// (safetensors) and state.json (step, schedule, RNG states, data position, config, file digests). A save
// writes a hidden temporary folder, renames it into place, then points the `latest` file at it; the
// previous checkpoint stays until the new one is complete, so a kill at any moment leaves a loadable one.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, TesseraError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { JsonObject, JsonValue } from '../io/json.js';
import { loadTensors, saveTensors } from '../io/tensors.js';
import type { Tensor } from '../tensor/tensor.js';

export const CHECKPOINT_FORMAT = 'tessera-training-checkpoint';
const STEP_DIR = /^step-(\d{8,})$/;

/** The JSON half of a checkpoint. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  /** Optimizer steps taken. */
  step: number;
  /** Run configuration (whatever the caller needs to rebuild model, data and schedule). */
  config: JsonObject;
  optimizer: { step: number; lrs: number[] };
  scheduler: { stepCount: number; baseLrs: number[] } | null;
  /** Generator state of each device kind used. */
  rng: Record<string, number[]>;
  /** Position of the training data (the batch source's state). */
  data: JsonValue;
  /** Running totals the trainer continues from (tokens seen, elapsed time, best validation loss, ...). */
  totals: JsonObject;
  /** Every other file of the folder with its size and SHA-256, checked on load. */
  files: Record<string, { bytes: number; sha256: string }>;
}

/** What a save writes. */
export interface CheckpointContent {
  state: Omit<CheckpointState, 'format' | 'version' | 'files'>;
  model: ReadonlyMap<string, Tensor>;
  /** Optimizer state tensors, per parameter index: `${index}.${name}`. */
  optimizer: ReadonlyMap<string, Tensor>;
  /** Extra files (a tokenizer.json, ...). */
  extraFiles?: Record<string, string | Uint8Array>;
}

/** A checkpoint read back. */
export interface LoadedCheckpoint {
  path: string;
  state: CheckpointState;
  model: Map<string, Tensor>;
  optimizer: Map<string, Tensor>;
}

export interface SaveOptions {
  /** Complete checkpoints to keep (the newest ones; default 2). */
  keep?: number;
  /** Called at each stage of a save (tests use it to crash a save midway). */
  onStage?: (stage: 'tensors-written' | 'state-written' | 'renamed' | 'latest-written') => void;
}

const stepName = (step: number) => `step-${String(step).padStart(8, '0')}`;

function digest(path: string): { bytes: number; sha256: string } {
  const data = readFileSync(path);
  return { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}

/** Writes a checkpoint under `root` and makes it the latest; returns its folder. */
export function saveCheckpoint(root: string, content: CheckpointContent, opts: SaveOptions = {}): string {
  const step = content.state.step;
  if (!Number.isInteger(step) || step < 0) throw new TesseraError(`checkpoint step must be a non-negative integer, got ${step}`);
  mkdirSync(root, { recursive: true });
  removeStale(root);
  const name = stepName(step);
  const tmp = join(root, `.tmp-${name}-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  saveTensors(join(tmp, 'model.safetensors'), content.model, { format: 'pt' });
  saveTensors(join(tmp, 'optimizer.safetensors'), content.optimizer);
  for (const [file, data] of Object.entries(content.extraFiles ?? {})) {
    if (file === 'state.json' || file.includes('/') || file.startsWith('.')) throw new TesseraError(`checkpoint extra file name '${file}' is not allowed`);
    writeFileAtomic(join(tmp, file), data);
  }
  opts.onStage?.('tensors-written');
  const files: CheckpointState['files'] = {};
  for (const f of readdirSync(tmp).sort()) files[f] = digest(join(tmp, f));
  const state: CheckpointState = { format: CHECKPOINT_FORMAT, version: 1, ...content.state, files };
  writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(state, null, 1) + '\n');
  opts.onStage?.('state-written');
  const dest = join(root, name);
  if (existsSync(dest)) {
    // the same step saved again (after a resume): move the old one aside first; loading falls back to a scan
    // of the step folders if we die between these renames
    const aside = join(root, `.old-${name}-${process.pid}-${Date.now()}`);
    renameSync(dest, aside);
    renameSync(tmp, dest);
    rmSync(aside, { recursive: true, force: true });
  } else {
    renameSync(tmp, dest);
  }
  opts.onStage?.('renamed');
  writeFileAtomic(join(root, 'latest'), name + '\n');
  opts.onStage?.('latest-written');
  prune(root, name, opts.keep ?? 2);
  return dest;
}

/** Removes temporary folders that a killed save left behind. */
function removeStale(root: string): void {
  for (const e of readdirSync(root)) {
    if (e.startsWith('.tmp-') || e.startsWith('.old-')) rmSync(join(root, e), { recursive: true, force: true });
  }
}

function stepDirs(root: string): { name: string; step: number }[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => ({ name, m: STEP_DIR.exec(name) }))
    .filter((e): e is { name: string; m: RegExpExecArray } => e.m !== null)
    .map((e) => ({ name: e.name, step: Number(e.m[1]) }))
    .sort((a, b) => b.step - a.step);
}

function prune(root: string, latest: string, keep: number): void {
  // keep `latest` and the newest keep - 1 others
  const others = stepDirs(root).filter((d) => d.name !== latest);
  for (const d of others.slice(Math.max(0, keep - 1))) rmSync(join(root, d.name), { recursive: true, force: true });
}

/** Reads and checks one checkpoint folder (state.json present and well formed, every file matching its digest). */
export function readCheckpointState(dir: string): CheckpointState {
  const statePath = join(dir, 'state.json');
  if (!existsSync(statePath)) throw new FormatError(`${dir}: not a complete checkpoint (no state.json)`);
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as CheckpointState;
  } catch {
    throw new FormatError(`${statePath}: not valid JSON`);
  }
  if (state?.format !== CHECKPOINT_FORMAT || state.version !== 1) throw new FormatError(`${statePath}: not a Tessera training checkpoint`);
  for (const [file, want] of Object.entries(state.files ?? {})) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new FormatError(`${dir}: ${file} is missing`);
    const size = statSync(path).size;
    if (size !== want.bytes) throw new FormatError(`${path}: ${size} bytes, the checkpoint recorded ${want.bytes}`);
    if (digest(path).sha256 !== want.sha256) throw new FormatError(`${path}: contents differ from the checkpoint's digest`);
  }
  return state;
}

/**
 * The newest complete checkpoint under `root`: the one `latest` names when it checks out, else the newest
 * step folder that does; null when there is none.
 */
export function findLatestCheckpoint(root: string): { path: string; state: CheckpointState } | null {
  if (!existsSync(root)) return null;
  const candidates: string[] = [];
  const latestFile = join(root, 'latest');
  if (existsSync(latestFile)) candidates.push(readFileSync(latestFile, 'utf8').trim());
  for (const d of stepDirs(root)) if (!candidates.includes(d.name)) candidates.push(d.name);
  for (const name of candidates) {
    if (!STEP_DIR.test(name)) continue;
    const path = join(root, name);
    try {
      return { path, state: readCheckpointState(path) };
    } catch {
      // incomplete or damaged: try the next one
    }
  }
  return null;
}

/** Loads the newest complete checkpoint's tensors (on `device`); null when there is none. */
export function loadLatestCheckpoint(root: string, device?: string): LoadedCheckpoint | null {
  const found = findLatestCheckpoint(root);
  if (!found) return null;
  return {
    path: found.path,
    state: found.state,
    model: loadTensors(join(found.path, 'model.safetensors'), device),
    optimizer: loadTensors(join(found.path, 'optimizer.safetensors'), device),
  };
}
