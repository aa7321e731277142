// Learning-rate schedules as functions of the step (0-based), and a scheduler that applies one to an
// optimizer's groups: warmup + linear or cosine decay, and the Noam schedule of "Attention Is All You Need" (5.3).
import { TesseraError } from '../errors.js';
import type { Optimizer } from './optimizer.js';

/** A multiplier of the base learning rate for each step. */
export type LrLambda = (step: number) => number;

/** Linear warmup over `warmup` steps, then linear decay to `minRatio` at `total` steps (HF's linear schedule). */
export function warmupLinear(warmup: number, total: number, minRatio = 0): LrLambda {
  return (s) => {
    if (s < warmup) return (s + 1) / Math.max(1, warmup);
    const p = Math.min(1, (s - warmup) / Math.max(1, total - warmup));
    return 1 - (1 - minRatio) * p;
  };
}

/** Linear warmup, then half a cosine down to `minRatio` at `total` steps. */
export function warmupCosine(warmup: number, total: number, minRatio = 0): LrLambda {
  return (s) => {
    if (s < warmup) return (s + 1) / Math.max(1, warmup);
    const p = Math.min(1, (s - warmup) / Math.max(1, total - warmup));
    return minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * p));
  };
}

/** Noam: lr = factor * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5), step counted from 1. Use base lr 1. */
export function noam(dModel: number, warmup: number, factor = 1): LrLambda {
  return (s) => {
    const step = s + 1;
    return factor * dModel ** -0.5 * Math.min(step ** -0.5, step * warmup ** -1.5);
  };
}

/** Sets each group's lr to base * lambda(step); call step() after each optimizer step. */
export class LrScheduler {
  private readonly baseLrs: number[];
  /** Steps taken so far; the lr in force is lambda(stepCount). */
  stepCount = 0;

  constructor(private readonly optimizer: Optimizer, private readonly lambda: LrLambda) {
    this.baseLrs = optimizer.groups.map((g) => g.lr);
    this.apply();
  }

  private apply(): void {
    const f = this.lambda(this.stepCount);
    if (!Number.isFinite(f)) throw new TesseraError(`learning-rate schedule gave ${f} at step ${this.stepCount}`);
    this.optimizer.groups.forEach((g, i) => (g.lr = this.baseLrs[i]! * f));
  }

  step(): void {
    this.stepCount++;
    this.apply();
  }

  /** The current learning rate of the first group. */
  get lr(): number {
    return this.optimizer.groups[0]!.lr;
  }

  stateDict(): { stepCount: number; baseLrs: number[] } {
    return { stepCount: this.stepCount, baseLrs: [...this.baseLrs] };
  }

  loadStateDict(s: { stepCount: number; baseLrs: number[] }): void {
    this.stepCount = s.stepCount;
    s.baseLrs.forEach((lr, i) => (this.baseLrs[i] = lr));
    this.apply();
  }
}
