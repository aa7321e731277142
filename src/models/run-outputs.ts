// Helpers shared by the families' run adapters (models/<family>/runnable.ts): outputs under Hugging Face's
// names, integer label checks, and a loader that puts a model in eval mode.
import { TesseraError } from '../errors.js';
import { isFloat } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ArchitectureLoader, RunnableModel } from './auto.js';

/** The main outputs, then hidden_states.N, attentions.N and loss (shape [1]), as `tessera run` writes them. */
export function collectOutputs(main: [string, Tensor][], out: { hiddenStates?: Tensor[]; attentions?: Tensor[]; loss?: Tensor }): Map<string, Tensor> {
  const m = new Map<string, Tensor>(main);
  out.hiddenStates?.forEach((h, i) => m.set(`hidden_states.${i}`, h));
  out.attentions?.forEach((a, i) => m.set(`attentions.${i}`, a));
  if (out.loss) m.set('loss', out.loss.reshape([1]));
  return m;
}

/** Class ids, token ids or positions as an integer tensor (JSON labels arrive as float32 when fractional). */
export function integerLabels(t: Tensor | undefined, name: string): Tensor | null {
  if (!t) return null;
  if (isFloat(t.dtype)) throw new TesseraError(`${name} must hold integers, got fractional values`);
  return t.dtype === 'int64' || t.dtype === 'int32' ? t : t.to('int64');
}

/** A registry loader: `cls.fromPretrained(dir, opts)` in eval mode, wrapped as a RunnableModel. */
export function evalLoader<M extends { eval(): unknown }>(fromPretrained: (dir: string, opts: { device?: string }) => M, wrap: (m: M) => RunnableModel): ArchitectureLoader {
  return (dir, opts) => {
    const m = fromPretrained(dir, opts);
    m.eval();
    return wrap(m);
  };
}
