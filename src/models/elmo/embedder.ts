// ELMo representations (AllenNLP's Elmo): per-token vectors from the biLM's layers, boundary tokens removed, mixed
// by one or more trainable ScalarMix modules; the features any downstream Tessera model can take as input.
import { noGrad } from '../../autograd/engine.js';
import { ShapeError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import { dropout } from '../../tensor/ops/fused.js';
import { Tensor } from '../../tensor/tensor.js';
import { BOS_TOKEN, EOS_TOKEN, batchToIds, tokenLengths, wordToCharIds } from './characters.js';
import type { ElmoLanguageModel } from './model.js';
import { ScalarMix } from './scalar-mix.js';

export interface ElmoOptions {
  /** Number of independent scalar mixes (e.g. one for a task's input and one for its output), default 1. */
  numOutputRepresentations?: number;
  /** Layer norm inside the mixes (default false). */
  doLayerNorm?: boolean;
  /** Dropout on the mixed representations (training only; AllenNLP's default 0.5). */
  dropout?: number;
  /** Fine-tune the biLM too (default false: it is frozen and run without a graph). */
  requiresGrad?: boolean;
  /** Fixed mixing weights w (not trained) instead of learned ones. */
  scalarMixParameters?: readonly number[];
}

export interface ElmoOutput {
  /** One (B, T, 2 * projection_dim) tensor per scalar mix. */
  elmoRepresentations: Tensor[];
  /** The unmixed layers (token layer first), each (B, T, 2 * projection_dim), 0 at padded positions. */
  layers: Tensor[];
  /** (B, T) bool: true at real tokens. */
  mask: Tensor;
  /** Tokens per sentence. */
  lengths: number[];
}

export class Elmo extends Module {
  /** `scalar_mix_{k}` */
  readonly scalarMixes: ScalarMix[] = [];
  readonly p: number;
  private readonly frozen: boolean;

  /** Wraps a trained language model, registered as `_elmo_lstm`. */
  constructor(readonly bilm: ElmoLanguageModel, opts: ElmoOptions = {}) {
    super();
    this.addModule('_elmo_lstm', bilm);
    this.p = opts.dropout ?? 0.5;
    this.frozen = !(opts.requiresGrad ?? false);
    if (this.frozen) for (const p of bilm.parameters()) p.requiresGrad_(false);
    const numLayers = bilm.config.lstm.n_layers + 1;
    const device = bilm.softmax.softmaxB.device;
    for (let k = 0; k < (opts.numOutputRepresentations ?? 1); k++) {
      this.scalarMixes.push(this.addModule(`scalar_mix_${k}`, new ScalarMix(numLayers, {
        doLayerNorm: opts.doLayerNorm,
        initialScalarParameters: opts.scalarMixParameters,
        trainable: opts.scalarMixParameters === undefined,
        device,
      })));
    }
  }

  /**
   * Representations of tokenized sentences, or of character ids (B, T, max_characters_per_token) without
   * sentence boundaries (as AllenNLP's batch_to_ids gives them; all-zero rows are padding).
   */
  forward(input: readonly (readonly string[])[] | Tensor): ElmoOutput {
    const maxChars = this.bilm.config.char_cnn.max_characters_per_token;
    const device = this.bilm.softmax.softmaxB.device;
    let ids: Tensor, lengths: number[];
    if (input instanceof Tensor) {
      ({ ids, lengths } = addSentenceBoundaries(input));
    } else {
      const batch = batchToIds(input, { maxChars, sentenceBoundaries: true, device });
      ids = batch.ids;
      lengths = batch.lengths.map((n) => n - 2);
    }
    const run = () => this.bilm.layerActivations(this.bilm.encode(ids, lengths.map((n) => n + 2)));
    const withBoundaries = this.frozen ? noGrad(run) : run();
    const B = lengths.length, T = Math.max(...lengths);
    const mask = Tensor.fromHost(Uint8Array.from({ length: B * T }, (_, n) => (n % T < lengths[Math.floor(n / T)]! ? 1 : 0)), [B, T], 'bool', ids.device);
    const keep = mask.unsqueeze(2).to('float32');
    // drop <S> (position 0) and </S> (position length + 1, which lands inside T for shorter rows)
    const layers = withBoundaries.map((l) => l.narrow(1, 1, T).mul(keep));
    const elmoRepresentations = this.scalarMixes.map((mix) => dropout(mix.forward(layers, mask), this.p, this.training));
    return { elmoRepresentations, layers, mask, lengths };
  }
}

/** Adds <S> and </S> around each row of character ids (B, T, C); returns the new ids and the token counts. */
export function addSentenceBoundaries(ids: Tensor): { ids: Tensor; lengths: number[] } {
  if (ids.ndim !== 3) throw new ShapeError(`addSentenceBoundaries: character ids must be (B, T, C), got ${ids.shape.length}-D`);
  const [B, T, C] = ids.shape as [number, number, number];
  const lengths = tokenLengths(ids);
  const host = ids.toArray();
  const out = new Int32Array(B * (T + 2) * C);
  const bos = wordToCharIds(BOS_TOKEN, C), eos = wordToCharIds(EOS_TOKEN, C);
  for (let b = 0; b < B; b++) {
    const base = b * (T + 2) * C;
    out.set(bos, base);
    for (let i = 0; i < lengths[b]! * C; i++) out[base + C + i] = Number(host[b * T * C + i]);
    out.set(eos, base + (lengths[b]! + 1) * C);
  }
  return { ids: Tensor.fromHost(out, [B, T + 2, C], 'int32', ids.device), lengths };
}
