// ELMo model folders: config.json (the ElmoConfig), model.safetensors (names as AllenNLP's _ElmoBiLm plus
// _softmax_loss.*) and vocab.txt (the softmax vocabulary, one word per line).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, TesseraError } from '../../errors.js';
import { loadCheckpointInto, readModelConfig, saveCheckpoint, weightsPath } from '../pretrained.js';
import { elmoConfigFromJson, type ElmoConfig } from './config.js';
import { ElmoLanguageModel } from './model.js';
import { ElmoVocabulary } from './vocab.js';

export const ELMO_ARCHITECTURE = 'ElmoLanguageModel';

/** Reads and checks a folder's config.json. */
export function readElmoConfig(dir: string): ElmoConfig {
  return elmoConfigFromJson(readModelConfig(dir), join(dir, 'config.json'));
}

/** Writes config.json, model.safetensors and vocab.txt into `dir` (created when missing). */
export function saveElmo(dir: string, model: ElmoLanguageModel, vocab: ElmoVocabulary): void {
  if (vocab.size !== model.config.vocab_size) {
    throw new TesseraError(`saveElmo: the vocabulary has ${vocab.size} words but the model's softmax ${model.config.vocab_size}`);
  }
  saveCheckpoint(dir, model, { ...model.config, architectures: [ELMO_ARCHITECTURE], model_type: 'elmo' });
  vocab.write(join(dir, 'vocab.txt'));
}

export interface LoadedElmo {
  model: ElmoLanguageModel;
  vocab: ElmoVocabulary;
  config: ElmoConfig;
}

/** Loads a folder written by saveElmo (in eval mode). */
export function loadElmo(dir: string, opts: { device?: string } = {}): LoadedElmo {
  const config = readElmoConfig(dir);
  const vocabPath = join(dir, 'vocab.txt');
  if (!existsSync(vocabPath)) throw new TesseraError(`model folder '${dir}' has no vocab.txt`);
  const vocab = ElmoVocabulary.read(vocabPath);
  if (vocab.size !== config.vocab_size) throw new FormatError(`${vocabPath}: ${vocab.size} words but config.json's vocab_size is ${config.vocab_size}`);
  const model = new ElmoLanguageModel(config, opts);
  loadCheckpointInto(model, weightsPath(dir), {}, opts.device);
  model.eval();
  return { model, vocab, config };
}
