// `tessera start` (what `npm start` runs): trains a character-level GPT on the bundled tinyshakespeare within a
// time budget (default 5 minutes) on the fastest device present, then saves a checkpoint, writes the loss plot
// and prints a sample.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { deviceAndSeedOptions, withConfigFile } from '../options.js';
import { GPT_TRAIN_DEFAULTS, runTraining, trainOptions, type GptTrainOptions, type TrainDefaults } from './gpt.js';

/** The bundled corpus (data/tinyshakespeare/input.txt at the package root). */
export function tinyShakespearePath(): string {
  // dist/src/cli/commands/start.js -> package root
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'data', 'tinyshakespeare', 'input.txt');
}

/** The main job's settings: sized for a few minutes on two CPU cores. */
// nanoGPT's CPU recipe (4 layers, lr 1e-3) reaches 1.88 at 2000 steps; one layer fewer and a 3x higher peak
// learning rate get lower within the same time (docs/training.md has the measurements). One thread: for a
// model this small a second thread costs more in synchronisation than it brings.
export const START_DEFAULTS: TrainDefaults = {
  ...GPT_TRAIN_DEFAULTS,
  out: join('runs', 'shakespeare-char'),
  nLayer: 3,
  lr: 3e-3,
  evalEvery: 250,
  checkpointEvery: 500,
  maxSteps: null,
  maxStepsText: 'planned from --minutes',
  threads: 1,
  threadsText: '1',
};

/** Registers `tessera start`. */
export function register(program: Command): void {
  const start = program
    .command('start')
    .description('train a character-level GPT on tinyshakespeare (bundled) for a few minutes, then print a sample')
    .option('--data <file>', 'text file to train on (default: the bundled tinyshakespeare)');
  trainOptions(start, START_DEFAULTS);
  deviceAndSeedOptions(start);
  withConfigFile(start);
  start.action(async (o: GptTrainOptions) => {
    const opts = { ...o, minutes: o.minutes ?? (o.maxSteps === undefined ? '5' : undefined) };
    await runTraining(opts, { ...START_DEFAULTS, data: tinyShakespearePath() });
  });
}
