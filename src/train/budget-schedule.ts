// A learning-rate schedule for a time budget: linear warmup, then a cosine decay whose length (the total
// number of steps) is re-planned from the measured speed as training goes. Progress along the cosine stays
// continuous across re-plans, and the plan is plain data (saved in checkpoints), so a resumed run follows
// the same learning rates.
import { TesseraError } from '../errors.js';
import type { LrLambda } from '../optim/schedule.js';

/** From `step` on, progress goes linearly from `progress` to 1 at step `total`. */
export interface PlanRevision {
  step: number;
  progress: number;
  total: number;
}

export interface BudgetSchedulePlan {
  warmup: number;
  /** The final learning rate as a fraction of the peak. */
  minRatio: number;
  revisions: PlanRevision[];
}

export class BudgetSchedule {
  readonly plan: BudgetSchedulePlan;

  constructor(plan: BudgetSchedulePlan) {
    if (!Number.isInteger(plan.warmup) || plan.warmup < 0) throw new TesseraError(`warmup must be a non-negative integer, got ${plan.warmup}`);
    if (!(plan.minRatio >= 0 && plan.minRatio <= 1)) throw new TesseraError(`the minimum learning-rate ratio must be in [0, 1], got ${plan.minRatio}`);
    if (plan.revisions.length === 0) throw new TesseraError('a budget schedule needs a first plan');
    this.plan = { warmup: plan.warmup, minRatio: plan.minRatio, revisions: plan.revisions.map((r) => ({ ...r })) };
  }

  /** A schedule planning `total` steps to start with. */
  static start(warmup: number, total: number, minRatio: number): BudgetSchedule {
    return new BudgetSchedule({ warmup, minRatio, revisions: [{ step: warmup, progress: 0, total: Math.max(total, warmup + 1) }] });
  }

  /** The planned number of steps. */
  get total(): number {
    return this.plan.revisions.at(-1)!.total;
  }

  /** Progress along the decay (0 at the end of warmup, 1 at the planned end). */
  progressAt(step: number): number {
    if (step <= this.plan.warmup) return 0;
    let rev = this.plan.revisions[0]!;
    for (const r of this.plan.revisions) if (r.step <= step) rev = r;
    if (step <= rev.step) return rev.progress;
    return Math.min(1, rev.progress + ((step - rev.step) / Math.max(1, rev.total - rev.step)) * (1 - rev.progress));
  }

  /** Plans to end at `total` steps from `step` on (ignored when `step` is past the current plan's end). */
  replan(step: number, total: number): void {
    const last = this.plan.revisions.at(-1)!;
    const from = Math.max(step, this.plan.warmup);
    if (from < last.step) throw new TesseraError(`cannot re-plan at step ${step}, before the last plan's step ${last.step}`);
    const progress = this.progressAt(from);
    if (progress >= 1) return;
    const revision = { step: from, progress, total: Math.max(total, from + 1) };
    // a re-plan during warmup (or twice at one step) replaces the plan that has not started yet
    if (from === last.step) this.plan.revisions[this.plan.revisions.length - 1] = revision;
    else this.plan.revisions.push(revision);
  }

  /** The multiplier of the peak learning rate at each step (for LrScheduler). */
  get lambda(): LrLambda {
    return (s) => {
      const w = this.plan.warmup;
      if (s < w) return (s + 1) / w;
      const p = this.progressAt(s);
      return this.plan.minRatio + (1 - this.plan.minRatio) * 0.5 * (1 + Math.cos(Math.PI * p));
    };
  }
}
