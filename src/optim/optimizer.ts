// The optimizer base: parameter groups, per-parameter state, and a state dict for checkpoints.
import { TesseraError } from '../errors.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** A set of parameters sharing hyper-parameters (lr may be changed by a schedule). */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  weightDecay: number;
}

/** Serializable optimizer state: per-parameter tensors by index, step counts and learning rates. */
export interface OptimizerState {
  step: number;
  lrs: number[];
  /** For each parameter (in group order), its named state tensors. */
  perParam: Record<string, Tensor>[];
}

export abstract class Optimizer {
  readonly groups: ParamGroup[];
  /** Number of steps taken. */
  stepCount = 0;

  protected constructor(params: Tensor[] | Partial<ParamGroup>[], defaults: { lr: number; weightDecay: number }) {
    if (defaults.lr < 0 || !Number.isFinite(defaults.lr)) throw new TesseraError(`invalid learning rate ${defaults.lr}`);
    const list = params as (Tensor | Partial<ParamGroup>)[];
    if (list.length > 0 && 'params' in (list[0] as object) && Array.isArray((list[0] as Partial<ParamGroup>).params)) {
      this.groups = (list as Partial<ParamGroup>[]).map((g) => ({ params: g.params ?? [], lr: g.lr ?? defaults.lr, weightDecay: g.weightDecay ?? defaults.weightDecay }));
    } else {
      this.groups = [{ params: list as Tensor[], lr: defaults.lr, weightDecay: defaults.weightDecay }];
    }
  }

  /** All parameters in group order. */
  get params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** Applies one update from the parameters' .grad (parameters without a grad are skipped). */
  abstract step(): void;

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Per-parameter state tensors (exp_avg, ...); subclasses keep them here. */
  protected state = new Map<Tensor, Record<string, Tensor>>();

  stateDict(): OptimizerState {
    return {
      step: this.stepCount,
      lrs: this.groups.map((g) => g.lr),
      perParam: this.params.map((p) => ({ ...(this.state.get(p) ?? {}) })),
    };
  }

  loadStateDict(s: OptimizerState): void {
    const params = this.params;
    if (s.perParam.length !== params.length) throw new TesseraError(`optimizer state has ${s.perParam.length} parameters, the optimizer ${params.length}`);
    if (s.lrs.length !== this.groups.length) throw new TesseraError(`optimizer state has ${s.lrs.length} parameter groups, the optimizer ${this.groups.length}`);
    this.stepCount = s.step;
    s.lrs.forEach((lr, i) => (this.groups[i]!.lr = lr));
    params.forEach((p, i) => {
      const st = s.perParam[i]!;
      const moved: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(st)) {
        if (t.shape.join() !== p.shape.join()) throw new TesseraError(`optimizer state '${k}' of parameter ${i} has shape [${t.shape}] but the parameter [${p.shape}]`);
        // copies: the optimizer updates its state in place
        moved[k] = keep((t.device === p.device ? t : t.toDevice(p.device)).detach().clone());
      }
      if (Object.keys(moved).length) this.state.set(p, moved);
    });
  }
}
