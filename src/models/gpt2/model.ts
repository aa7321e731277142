// GPT2Model (transformers' modeling_gpt2.py GPT2Model): token + learned position embeddings, n_layer pre-LN
// blocks with causal self-attention, a final LayerNorm. Module names are the checkpoint's keys (wte, wpe, h.N,
// ln_f), so checkpoints load name for name.
import { arange } from '../../tensor/creation.js';
import { dropout } from '../../tensor/ops/fused.js';
import { ShapeError, TesseraError } from '../../errors.js';
import { shapeStr } from '../../tensor/shape.js';
import { inferenceScope, releaseOwned } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, ModuleList } from '../../nn/module.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { LayerNorm } from '../../nn/layers/layer-norm.js';
import { normal_ } from '../../nn/init.js';
import { causalPaddingMask, checkLength, checkPositionIds, checkTokenIds } from '../transformer/inputs.js';
import type { LayerCache } from './attention.js';
import { GPT2Block } from './block.js';
import { loadGPT2Weights, readGPT2Config, saveGPT2 } from './checkpoint.js';
import type { GPT2Config } from './config.js';

export interface GPT2ForwardOptions {
  /** (B, Tpast + T): 1 for real tokens, 0 for padding (keys at 0 get no attention). */
  attentionMask?: Tensor | null;
  /** (B, T) or (1, T) positions; default Tpast, Tpast + 1, ... */
  positionIds?: Tensor | null;
  /** (B, T) segment ids, embedded with wte as transformers does. */
  tokenTypeIds?: Tensor | null;
  /** The cache returned by an earlier call (one entry per layer). */
  pastKeyValues?: LayerCache[] | null;
  /** Return the updated cache. */
  useCache?: boolean;
  /** Return the input to every block and the final (ln_f) output: n_layer + 1 tensors (B, T, C). */
  outputHiddenStates?: boolean;
  /** Return every layer's attention probabilities (B, H, T, Tpast + T). */
  outputAttentions?: boolean;
}

export interface GPT2ModelOutput {
  /** (B, T, C), after ln_f. */
  lastHiddenState: Tensor;
  pastKeyValues?: LayerCache[];
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

export class GPT2Model extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly h: ModuleList<GPT2Block>;
  readonly ln_f: LayerNorm;

  constructor(readonly config: GPT2Config, device?: string) {
    super();
    const C = config.n_embd;
    this.wte = this.addModule('wte', new Embedding(config.vocab_size, C, { device }));
    this.wpe = this.addModule('wpe', new Embedding(config.n_positions, C, { device }));
    normal_(this.wte.weight, 0, config.initializer_range);
    normal_(this.wpe.weight, 0, config.initializer_range);
    this.h = this.addModule('h', new ModuleList(Array.from({ length: config.n_layer }, (_, i) => new GPT2Block(config, i, device))));
    this.ln_f = this.addModule('ln_f', new LayerNorm(C, { eps: config.layer_norm_epsilon, device }));
  }

  /** Reads config.json + model.safetensors of `dir` (a GPT2Model or GPT2LMHeadModel file); returns the model in eval mode. */
  static fromPretrained(dir: string, opts: { device?: string } = {}): GPT2Model {
    const config = readGPT2Config(dir);
    const model = new GPT2Model(config, opts.device);
    loadGPT2Weights(model, config, dir, opts.device);
    return model.eval();
  }

  /** Writes config.json and model.safetensors (names without prefix, as transformers saves GPT2Model). */
  savePretrained(dir: string): void {
    saveGPT2(dir, this, this.config, 'GPT2Model');
  }

  /** input_ids (B, T) -> hidden states (B, T, C). */
  forward(inputIds: Tensor, opts: GPT2ForwardOptions = {}): GPT2ModelOutput {
    return inferenceScope(() => this.run(inputIds, opts));
  }

  private run(inputIds: Tensor, opts: GPT2ForwardOptions): GPT2ModelOutput {
    const c = this.config;
    checkTokenIds(inputIds, c.vocab_size, 'input_ids', 'this GPT-2 model');
    const [B, T] = inputIds.shape as [number, number];
    const past = opts.pastKeyValues ?? null;
    if (past && past.length !== c.n_layer) throw new TesseraError(`pastKeyValues: ${past.length} layers given, the model has ${c.n_layer}`);
    const pastLen = past ? past[0]!.key.dim(2) : 0;
    checkLength(pastLen + T, c.n_positions, pastLen ? `input_ids (with ${pastLen} cached positions)` : 'input_ids', 'n_positions', 'this GPT-2 model');
    const positions = opts.positionIds ?? arange(pastLen, pastLen + T, 1, { device: inputIds.device }).reshape([1, T]);
    if (opts.positionIds) {
      if (positions.ndim > 2 || positions.dim(-1) !== T) throw new ShapeError(`position_ids of shape ${shapeStr(positions.shape)} do not match input_ids of shape ${shapeStr(inputIds.shape)}`);
      checkPositionIds(positions, c.n_positions, 'n_positions', 'this GPT-2 model');
    }
    let h = this.wte.forward(inputIds).add(this.wpe.forward(positions)); // (B, T, C)
    if (opts.tokenTypeIds) {
      checkTokenIds(opts.tokenTypeIds, c.vocab_size, 'token_type_ids', 'this GPT-2 model');
      h = h.add(this.wte.forward(opts.tokenTypeIds));
    }
    h = dropout(h, c.embd_pdrop, this.training);
    const mask = causalPaddingMask(opts.attentionMask, B, T, pastLen, 'attention_mask'); // (B, 1, T, Tpast + T) or null
    const hiddenStates: Tensor[] = [];
    const attentions: Tensor[] = [];
    const caches: LayerCache[] = [];
    this.h.items.forEach((block, i) => {
      if (opts.outputHiddenStates) hiddenStates.push(h);
      const prev = h;
      const r = inferenceScope(() => block.forward(prev, { mask, past: past?.[i] ?? null, useCache: opts.useCache, needWeights: opts.outputAttentions }));
      h = r.hidden;
      if (!opts.outputHiddenStates) releaseOwned(prev, h);
      if (r.cache) caches.push(r.cache);
      if (r.weights) attentions.push(r.weights);
    });
    h = this.ln_f.forward(h);
    if (opts.outputHiddenStates) hiddenStates.push(h);
    return {
      lastHiddenState: h,
      pastKeyValues: opts.useCache ? caches : undefined,
      hiddenStates: opts.outputHiddenStates ? hiddenStates : undefined,
      attentions: opts.outputAttentions ? attentions : undefined,
    };
  }
}
