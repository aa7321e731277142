// TransformerModel — the encoder-decoder without an output layer (transformers' MarianModel): one token
// embedding matrix 'shared' used by both sides (or one per side when share_encoder_decoder_embeddings is
// false), the encoder and the decoder. Module names are Marian's checkpoint keys.
import { TesseraError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../../nn/module.js';
import { Embedding } from '../../nn/layers/embedding.js';
import { loadTransformerWeights, readTransformerConfig, saveTransformer } from './checkpoint.js';
import { targetVocabSize, type TransformerConfig } from './config.js';
import { TransformerDecoder, type DecoderLayerCache } from './decoder.js';
import { TransformerEncoder, type EncoderOutput } from './encoder.js';
import { initTransformerWeights } from './init.js';

export interface TransformerForwardOptions {
  /** (B, S): 1 for real source tokens, 0 for padding. */
  attentionMask?: Tensor | null;
  /** (B, T) target-side inputs (start token first). */
  decoderInputIds?: Tensor | null;
  /** (B, Tpast + T): 1 for real target tokens, 0 for padding. */
  decoderAttentionMask?: Tensor | null;
  /** A precomputed encoder pass (the source is then not re-encoded). */
  encoderOutputs?: EncoderOutput | null;
  pastKeyValues?: DecoderLayerCache[] | null;
  useCache?: boolean;
  outputHiddenStates?: boolean;
  outputAttentions?: boolean;
}

/** Outputs under transformers' Seq2SeqModelOutput names (camelCase). */
export interface TransformerModelOutput {
  /** The decoder's last states (B, T, C). */
  lastHiddenState: Tensor;
  pastKeyValues?: DecoderLayerCache[];
  decoderHiddenStates?: Tensor[];
  decoderAttentions?: Tensor[];
  crossAttentions?: Tensor[];
  encoderLastHiddenState: Tensor;
  encoderHiddenStates?: Tensor[];
  encoderAttentions?: Tensor[];
}

export class TransformerModel extends Module {
  /** The shared token embeddings (null when source and target have their own). */
  readonly shared: Embedding | null;
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;

  constructor(readonly config: TransformerConfig, device?: string) {
    super();
    const C = config.d_model;
    const pad = config.pad_token_id ?? undefined;
    const embed = (vocab: number) => new Embedding(vocab, C, { paddingIdx: pad !== undefined && pad < vocab ? pad : undefined, device });
    let encEmbed: Embedding, decEmbed: Embedding;
    if (config.share_encoder_decoder_embeddings) {
      if (config.decoder_vocab_size !== null && config.decoder_vocab_size !== config.vocab_size) {
        throw new TesseraError(`Transformer config: shared embeddings need decoder_vocab_size (${config.decoder_vocab_size}) equal to vocab_size (${config.vocab_size})`);
      }
      this.shared = this.addModule('shared', embed(config.vocab_size));
      encEmbed = decEmbed = this.shared;
    } else {
      this.shared = null;
      encEmbed = embed(config.vocab_size);
      decEmbed = embed(targetVocabSize(config));
    }
    this.encoder = this.addModule('encoder', new TransformerEncoder(config, encEmbed, device));
    this.decoder = this.addModule('decoder', new TransformerDecoder(config, decEmbed, device));
    initTransformerWeights(this, config.init_std);
  }

  /** Reads config.json + model.safetensors (a MarianModel or MarianMTModel file); returns the model in eval mode. */
  static fromPretrained(dir: string, opts: { device?: string } = {}): TransformerModel {
    const config = readTransformerConfig(dir);
    const model = new TransformerModel(config, opts.device);
    loadTransformerWeights(model, config, dir, opts.device);
    return model.eval();
  }

  /** Writes config.json and model.safetensors as transformers saves MarianModel. */
  savePretrained(dir: string): void {
    saveTransformer(dir, this, this.config, 'MarianModel');
  }

  /** Encodes input_ids (B, S) (unless encoderOutputs are given) and decodes decoderInputIds (B, T). */
  forward(inputIds: Tensor | null, opts: TransformerForwardOptions = {}): TransformerModelOutput {
    const hs = opts.outputHiddenStates, at = opts.outputAttentions;
    let enc = opts.encoderOutputs ?? null;
    if (!enc) {
      if (!inputIds) throw new TesseraError('Transformer: input_ids are needed (or encoderOutputs)');
      enc = this.encoder.forward(inputIds, { attentionMask: opts.attentionMask, outputHiddenStates: hs, outputAttentions: at });
    }
    if (!opts.decoderInputIds) throw new TesseraError('Transformer: decoder_input_ids are needed (or labels, to shift them right)');
    const dec = this.decoder.forward(opts.decoderInputIds, {
      encoderHiddenStates: enc.lastHiddenState,
      encoderAttentionMask: opts.attentionMask,
      attentionMask: opts.decoderAttentionMask,
      pastKeyValues: opts.pastKeyValues,
      useCache: opts.useCache,
      outputHiddenStates: hs,
      outputAttentions: at,
    });
    return {
      lastHiddenState: dec.lastHiddenState,
      pastKeyValues: dec.pastKeyValues,
      decoderHiddenStates: dec.hiddenStates,
      decoderAttentions: dec.attentions,
      crossAttentions: dec.crossAttentions,
      encoderLastHiddenState: enc.lastHiddenState,
      encoderHiddenStates: enc.hiddenStates,
      encoderAttentions: enc.attentions,
    };
  }
}
