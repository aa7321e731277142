// Child process for the checkpoint kill test: saves checkpoint 1, then starts saving checkpoint 2 and,
// at the stage named on the command line, says "ready" and waits to be killed.
import { saveCheckpoint } from '../../src/train/checkpoint.js';
import { tensor } from '../../src/index.js';

const [root, stage] = process.argv.slice(2) as [string, string];
const content = (step: number) => ({
  state: { step, config: { step }, optimizer: { step, lrs: [0.1] }, scheduler: null, rng: {}, data: { at: step }, totals: {} },
  model: new Map([['w', tensor(Array.from({ length: 4096 }, (_, i) => i * step), { device: 'cpu-js' })]]),
  optimizer: new Map([['0.exp_avg', tensor([step, step], { device: 'cpu-js' })]]),
});
saveCheckpoint(root, content(1));
saveCheckpoint(root, content(2), {
  onStage: (s) => {
    if (s !== stage) return;
    process.stdout.write('ready\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30_000);
  },
});
process.stdout.write('finished\n');
