// Worker-thread entry of word2vec training: rebuilds views over the shared model and runs one thread.
import { parentPort, workerData } from 'node:worker_threads';
import { jsRowOps, simdRowOps } from './rowops.js';
import { instantiateSimd } from './simd.js';
import { runTrainingThread } from './thread.js';
import type { WorkerInput } from './trainer.js';
import { WordTable } from './wordtable.js';

const input = workerData as WorkerInput;
const simd = input.memory ? instantiateSimd(input.memory) : null;
runTrainingThread(
  input.model,
  WordTable.fromParts(input.table),
  input.keep,
  input.config,
  input.counters,
  simd ? simdRowOps(simd, input.expTable) : jsRowOps,
  input.scratch,
);
parentPort?.postMessage('done');
