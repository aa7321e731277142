// Optimizers, schedules and clipping.
export { Optimizer, type ParamGroup, type OptimizerState } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { LrScheduler, warmupLinear, warmupCosine, noam, type LrLambda } from './schedule.js';
export { clipGradNorm } from './clip.js';
