// Module: a tree of named parameters, buffers and submodules. Names are data (Hugging Face checkpoint keys
// such as "attention.self.query"), so the dotted names of stateDict() are the checkpoint's names.
import { ShapeError, TesseraError } from '../errors.js';
import { noGrad } from '../autograd/engine.js';
import type { DType } from '../tensor/dtype.js';
import { shapeStr } from '../tensor/shape.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

export interface LoadStateDictOptions {
  /** Fail on missing or unexpected keys (default true). Shape mismatches always fail. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export class Module {
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly buffers = new Map<string, { tensor: Tensor; persistent: boolean }>();
  private readonly modules = new Map<string, Module>();

  /** Registers a child module under `name` (its key in checkpoints) and returns it. */
  addModule<M extends Module>(name: string, module: M): M {
    if (name.includes('.') || name === '') throw new TesseraError(`module name '${name}' must be non-empty and have no dots`);
    this.modules.set(name, module);
    return module;
  }

  /** Registers a trainable parameter (made to require grad) and returns it; null registers an absent one. */
  addParameter(name: string, t: Tensor): Tensor;
  addParameter(name: string, t: Tensor | null): Tensor | null;
  addParameter(name: string, t: Tensor | null): Tensor | null {
    if (name.includes('.') || name === '') throw new TesseraError(`parameter name '${name}' must be non-empty and have no dots`);
    if (t) keep(t.requiresGrad_(true));
    this.params.set(name, t);
    return t;
  }

  /** Registers a buffer (state that is not trained: position ids, running stats...). */
  addBuffer(name: string, t: Tensor, persistent = true): Tensor {
    this.buffers.set(name, { tensor: keep(t), persistent });
    return t;
  }

  /** Replaces a registered parameter (e.g. tying an output layer to an embedding). */
  setParameter(name: string, t: Tensor): void {
    if (!this.params.has(name)) throw new TesseraError(`no parameter '${name}' to replace`);
    this.params.set(name, keep(t));
  }

  /** The direct child modules with their names. */
  namedChildren(): [string, Module][] {
    return [...this.modules];
  }

  child(name: string): Module | undefined {
    return this.modules.get(name);
  }

  /** Every module of the tree with its dotted name ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.modules) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Every parameter with its dotted name; a parameter shared by two modules is listed once (first name). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [name, t] of m.params) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([mp ? `${mp}.${name}` : name, t]);
      }
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [name, b] of m.buffers) out.push([mp ? `${mp}.${name}` : name, b.tensor]);
    }
    return out;
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /**
   * Parameters and persistent buffers by dotted name. Shared (tied) parameters appear under every name,
   * as torch's state_dict does.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [mp, m] of this.namedModules()) {
      for (const [name, t] of m.params) if (t) out.set(mp ? `${mp}.${name}` : name, t);
      for (const [name, b] of m.buffers) if (b.persistent) out.set(mp ? `${mp}.${name}` : name, b.tensor);
    }
    return out;
  }

  /**
   * Copies tensors into this module's parameters and buffers by name. A tensor whose shape differs fails
   * with its full name and both shapes; missing or unexpected names fail when strict (the default).
   */
  loadStateDict(state: Map<string, Tensor> | Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`missing ${missingKeys.slice(0, 5).join(', ')}${missingKeys.length > 5 ? ` and ${missingKeys.length - 5} more` : ''}`);
      if (unexpectedKeys.length) parts.push(`unexpected ${unexpectedKeys.slice(0, 5).join(', ')}${unexpectedKeys.length > 5 ? ` and ${unexpectedKeys.length - 5} more` : ''}`);
      throw new TesseraError(`loadStateDict: ${parts.join('; ')}`);
    }
    for (const [name, target] of own) {
      const t = src.get(name);
      if (!t) continue;
      if (t.shape.join() !== target.shape.join()) {
        throw new ShapeError(`loadStateDict: '${name}' has shape ${shapeStr(t.shape)} in the checkpoint but ${shapeStr(target.shape)} in the model`);
      }
    }
    noGrad(() => {
      for (const [name, target] of own) {
        const t = src.get(name);
        if (t && t !== target) target.assign_(t);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Training mode on (dropout active) for this module and all below it. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Moves every parameter and buffer to a device, in place. */
  toDevice(device: string): this {
    noGrad(() => {
      for (const [, m] of this.namedModules()) {
        for (const [, t] of m.params) if (t && t.device !== device) t.toDevice_(device);
        for (const [, b] of m.buffers) if (b.tensor.device !== device) b.tensor.toDevice_(device);
      }
    });
    return this;
  }

  /** Casts every float parameter and buffer to dtype, in place. */
  toDtype(dtype: DType): this {
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.namedBuffers().map(([, b]) => b)]) {
        if (t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'bfloat16') t.assignCast_(dtype);
      }
    });
    return this;
  }
}

/** An ordered list of modules named "0", "1", ... (torch.nn.ModuleList). */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(items: readonly M[] = []) {
    super();
    for (const m of items) this.push(m);
  }

  push(m: M): void {
    this.addModule(String(this.items.length), m);
    this.items.push(m);
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    return this.items[i]!;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
