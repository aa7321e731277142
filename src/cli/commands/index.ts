// The list of command groups. Each family adds one `register` call here.
import type { Command } from 'commander';
import { register as registerElmo } from './elmo.js';
import { register as registerRun } from './run.js';
import { register as registerTokenize } from './tokenize.js';
import { register as registerWord2Vec } from './word2vec.js';
import { register as registerGpt } from './gpt.js';
import { register as registerStart } from './start.js';
import { register as registerBert } from './bert.js';
import { register as registerVit } from './vit.js';
import { register as registerTransformer } from './transformer.js';
import { register as registerAttention } from './attention.js';

/** Registers every command group on the root program. */
export function registerAll(program: Command): void {
  void program;
  registerElmo(program);
  registerRun(program);
  registerTokenize(program);
  registerWord2Vec(program);
  registerGpt(program);
  registerStart(program);
  registerBert(program);
  registerVit(program);
  registerTransformer(program);
  registerAttention(program);
}
