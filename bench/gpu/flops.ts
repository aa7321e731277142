// Model FLOPs of the benchmark rows, counted from the architecture (the same count divides Tessera's and
// PyTorch's times, so MFU compares like with like). Matmul FLOPs are 2 per multiply-add; attention counts
// Q K^T and P V over the full T x T square (causal included, as is conventional); training is 3x forward.

/** Forward FLOPs per token of a stack of `layers` transformer blocks (d model, f FFN width, T keys). */
function blockFlops(d: number, f: number, T: number, layers: number, crossAttention = false, Tcross = 0): number {
  const selfAttn = 2 * 4 * d * d + 4 * T * d; // q, k, v, o projections + QK^T and PV
  const cross = crossAttention ? 2 * 4 * d * d + 4 * Tcross * d : 0;
  const ffn = 2 * 2 * d * f;
  return layers * (selfAttn + cross + ffn);
}

export interface RowFlops {
  /** FLOPs of one training step (forward + backward) per unit (token, sequence or image). */
  trainPerUnit: number;
  /** FLOPs of one forward pass per unit. */
  inferPerUnit: number;
}

/** GPT-2 124M: per token; the LM head is (C x V). */
export function gpt2Flops(T = 1024, C = 768, L = 12, V = 50257): RowFlops {
  const fwd = blockFlops(C, 4 * C, T, L) + 2 * C * V;
  return { trainPerUnit: 3 * fwd, inferPerUnit: fwd };
}

/** BERT-base pretraining per sequence: encoder + MLM transform and decoder over every token + pooler/NSP. */
export function bertPretrainFlops(T = 512, C = 768, L = 12, V = 30522): RowFlops {
  const perToken = blockFlops(C, 4 * C, T, L) + 2 * C * C + 2 * C * V;
  const fwd = T * perToken + 2 * C * C + 2 * C * 2;
  return { trainPerUnit: 3 * fwd, inferPerUnit: fwd };
}

/** BERT-base encoder (BertModel with pooler) per sequence. */
export function bertEncodeFlops(T = 128, C = 768, L = 12): RowFlops {
  const fwd = T * blockFlops(C, 4 * C, T, L) + 2 * C * C;
  return { trainPerUnit: 3 * fwd, inferPerUnit: fwd };
}

/** ViT-B/16 at 224 px per image: patch embedding, 197 tokens through the encoder, the classifier. */
export function vitFlops(image = 224, patch = 16, C = 768, L = 12, classes = 1000): RowFlops {
  const patches = (image / patch) ** 2, T = patches + 1;
  const fwd = patches * 2 * 3 * patch * patch * C + T * blockFlops(C, 4 * C, T, L) + 2 * C * classes;
  return { trainPerUnit: 3 * fwd, inferPerUnit: fwd };
}

/** Transformer-base (6+6, d 512, FFN 2048) per target token, with as many source tokens, tied output projection. */
export function transformerBaseFlops(S = 128, T = 128, d = 512, f = 2048, layers = 6, V = 32000): RowFlops {
  const enc = (S / T) * blockFlops(d, f, S, layers);
  const dec = blockFlops(d, f, T, layers, true, S);
  const fwd = enc + dec + 2 * d * V;
  return { trainPerUnit: 3 * fwd, inferPerUnit: fwd };
}

/** Dense peak rates of an H200 SXM (the vendor's datasheet, without sparsity), FLOP/s. */
export const H200_PEAK = { bf16: 989.4e12, tf32: 494.7e12, fp32: 66.9e12 };
