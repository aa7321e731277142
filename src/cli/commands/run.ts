// `tessera run`: batch inference for any supported Hugging Face checkpoint folder — inputs from a safetensors
// file (HF input names), every output (logits, hidden_states.N, attentions.N, loss) to another.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { isDeviceAvailable, getDefaultDevice } from '../../backend/registry.js';
import { TesseraError } from '../../errors.js';
import { parseJson, type JsonValue } from '../../io/json.js';
import { loadTensors, saveTensors } from '../../io/tensors.js';
import { loadRunnable, type RunnableModel } from '../../models/auto.js';
import { shapeStr } from '../../tensor/shape.js';
import { tensor, type Tensor } from '../../tensor/tensor.js';

/** The command's options (commander's camelCase of the flags). */
export interface RunCommandOptions {
  model: string;
  inputs: string;
  out: string;
  hiddenStates?: boolean;
  attentions?: boolean;
  labels?: string;
  architecture?: string;
  device?: string;
  interpolatePosEncoding?: boolean;
}

/** Reads the inputs file; fails naming it when it is missing or not safetensors. */
function readInputs(path: string, device: string): Map<string, Tensor> {
  if (!existsSync(path)) throw new TesseraError(`--inputs: file not found: ${path}`);
  if (statSync(path).isDirectory()) throw new TesseraError(`--inputs: ${path} is a folder, not a safetensors file`);
  const inputs = loadTensors(path, device);
  if (inputs.size === 0) throw new TesseraError(`--inputs: ${path} holds no tensors`);
  return inputs;
}

/** Every input the model needs is there and nothing it does not take. */
function checkInputNames(model: RunnableModel, inputs: Map<string, Tensor>, path: string): void {
  const { required, optional } = model.inputNames;
  const takes = [...required, ...optional];
  for (const name of required) {
    if (!inputs.has(name)) throw new TesseraError(`--inputs: ${path} has no '${name}', which ${model.architecture} requires (it takes ${takes.join(', ')})`);
  }
  for (const name of inputs.keys()) {
    if (!takes.includes(name)) throw new TesseraError(`--inputs: ${path} has '${name}', which ${model.architecture} does not take (it takes ${takes.join(', ')})`);
  }
}

/** Shape of a rectangular nested array of numbers; fails naming the label otherwise. */
function nestedShape(v: JsonValue, name: string, path: string): number[] {
  if (!Array.isArray(v)) {
    if (typeof v === 'number') return [];
    throw new TesseraError(`--labels: ${path}: '${name}' must be a number or a (nested) array of numbers, found ${v === null ? 'null' : typeof v}`);
  }
  if (v.length === 0) throw new TesseraError(`--labels: ${path}: '${name}' is an empty array`);
  const inner = nestedShape(v[0]!, name, path);
  for (const item of v) {
    if (nestedShape(item, name, path).join() !== inner.join()) throw new TesseraError(`--labels: ${path}: '${name}' is ragged (its rows differ in length)`);
  }
  return [v.length, ...inner];
}

/**
 * Reads the labels JSON: an array (the `labels` argument) or an object of label arguments by name, each a
 * number or nested array of numbers — the layout of the reference fixtures' meta.json. Integral values give
 * int64 tensors, others float32.
 */
export function readLabels(path: string, model: RunnableModel, device: string): Record<string, Tensor> {
  if (!existsSync(path)) throw new TesseraError(`--labels: file not found: ${path}`);
  const json = parseJson(readFileSync(path, 'utf8'), { source: path });
  if (json === null || typeof json !== 'object') throw new TesseraError(`--labels: ${path} must hold an array or an object of label arrays`);
  const obj: Record<string, JsonValue> = Array.isArray(json) ? { labels: json } : json;
  if (model.labelNames.length === 0) throw new TesseraError(`--labels: ${model.architecture} computes no loss`);
  const out: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(obj)) {
    if (!model.labelNames.includes(name)) {
      throw new TesseraError(`--labels: ${path} has '${name}', which ${model.architecture} does not take (it takes ${model.labelNames.join(', ')})`);
    }
    const shape = nestedShape(value, name, path);
    const flat: number[] = [];
    const walk = (v: JsonValue): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else flat.push(v as number);
    };
    walk(value);
    const integral = flat.every((x) => Number.isInteger(x));
    out[name] = tensor(flat, { dtype: integral ? 'int64' : 'float32', device, shape });
  }
  if (Object.keys(out).length === 0) throw new TesseraError(`--labels: ${path} holds no labels`);
  return out;
}

/** Runs the command; returns the written outputs' names and shapes. */
export function runModel(opts: RunCommandOptions): Map<string, number[]> {
  const device = opts.device ?? getDefaultDevice();
  if (!isDeviceAvailable(device)) throw new TesseraError(`--device: '${device}' is not available on this machine`);
  if (!existsSync(opts.model)) throw new TesseraError(`--model: folder not found: ${opts.model}`);
  const inputs = readInputs(opts.inputs, device);
  const model = loadRunnable(opts.model, { device, architecture: opts.architecture });
  checkInputNames(model, inputs, opts.inputs);
  const labels = opts.labels ? readLabels(opts.labels, model, device) : undefined;
  const outputs = model.forward(Object.fromEntries(inputs), {
    outputHiddenStates: opts.hiddenStates ?? false,
    outputAttentions: opts.attentions ?? false,
    labels,
    interpolatePosEncoding: opts.interpolatePosEncoding ?? false,
  });
  mkdirSync(dirname(opts.out), { recursive: true });
  saveTensors(opts.out, outputs);
  return new Map([...outputs].map(([k, t]) => [k, t.shape]));
}

/** Registers `tessera run`. */
export function register(program: Command): void {
  program
    .command('run')
    .description('batch inference for a Hugging Face checkpoint folder: inputs from a safetensors file, every output to another')
    .requiredOption('--model <dir>', 'checkpoint folder (config.json + model.safetensors)')
    .requiredOption('--inputs <file>', 'safetensors file of inputs named as Hugging Face names them (input_ids, attention_mask, token_type_ids, pixel_values, ...)')
    .requiredOption('--out <file>', 'safetensors file to write the outputs to')
    .option('--hidden-states', 'also write hidden_states.N (N = 0 is the embedding output)')
    .option('--attentions', 'also write attentions.N (B, heads, T, T)')
    .option('--labels <file>', 'JSON labels (an array, or an object of label arrays by name): also write loss')
    .option('--architecture <name>', 'model class, when config.json names none (e.g. BertForTokenClassification)')
    .option('--device <device>', 'cpu-js, cpu, cuda or cuda:N (default: the fastest available)')
    .option('--interpolate-pos-encoding', 'vision models: accept images of another size than the checkpoint\'s')
    .action((opts: RunCommandOptions) => {
      const written = runModel(opts);
      const list = [...written].map(([k, s]) => `${k} ${shapeStr(s)}`).join(', ');
      process.stdout.write(`wrote ${written.size} tensors to ${opts.out}: ${list}\n`);
    });
}
