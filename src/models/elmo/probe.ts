// A context probe in the spirit of Peters et al. 2018, Table 4: occurrences of polysemous words in labelled
// sentences, and for each the nearest other occurrence of the same word by cosine similarity, per ELMo layer
// (the context-free token layer, each biLSTM layer, their equal-weight mix). Same-sense nearest-neighbour
// accuracy is the measure; the token layer gives one vector per word, so it sits at chance.
import { FormatError, TesseraError } from '../../errors.js';
import { noGrad } from '../../autograd/engine.js';
import { tidy } from '../../tensor/scope.js';
import { Elmo } from './embedder.js';
import type { ElmoLanguageModel } from './model.js';

/** One labelled occurrence: `word` at token `index` of `tokens`, used in sense `sense`. */
export interface ProbeItem {
  word: string;
  sense: string;
  tokens: string[];
  index: number;
}

/** Parses lines `word<TAB>sense<TAB>sentence` (tokens separated by spaces; the first token equal to word is the occurrence). */
export function parseProbeTsv(text: string, source = 'probe sentences'): ProbeItem[] {
  const items: ProbeItem[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const parts = line.split('\t');
    if (parts.length !== 3) throw new FormatError(`${source}: line ${i + 1} must be word<TAB>sense<TAB>sentence (got ${parts.length} fields)`);
    const [word, sense, sentence] = parts.map((p) => p.trim()) as [string, string, string];
    const tokens = sentence.split(/\s+/).filter((t) => t !== '');
    const index = tokens.indexOf(word);
    if (word === '' || sense === '') throw new FormatError(`${source}: line ${i + 1} has an empty word or sense`);
    if (index < 0) throw new FormatError(`${source}: line ${i + 1}: the sentence has no token '${word}'`);
    items.push({ word, sense, tokens, index });
  });
  const byWord = new Map<string, Set<string>>();
  for (const it of items) byWord.set(it.word, (byWord.get(it.word) ?? new Set()).add(it.sense));
  if (items.length === 0) throw new FormatError(`${source}: no sentences`);
  for (const [w, senses] of byWord) if (senses.size < 2) throw new FormatError(`${source}: '${w}' has one sense only (${[...senses][0]}); each word needs two or more`);
  return items;
}

export interface ProbeNeighbour {
  sense: string;
  cosine: number;
  sentence: string;
}

export interface ProbeLayerResult {
  /** 'token', 'lstm1', 'lstm2', ..., 'mix'. */
  layer: string;
  /** Share of occurrences whose nearest other occurrence of the same word has the same sense (ties split evenly). */
  accuracy: number;
  /** The same over each word's occurrences. */
  perWord: Record<string, number>;
  /** Mean cosine between occurrences of a word in the same sense, and in different senses. */
  meanCosineSameSense: number;
  meanCosineOtherSense: number;
}

export interface ProbeReport {
  occurrences: number;
  words: number;
  /** Expected accuracy of a random neighbour (what a context-free vector gets). */
  chance: number;
  /** Vectors centred by the mean over all probe tokens of their layer before the cosines (removes the shared direction). */
  centered: boolean;
  layers: ProbeLayerResult[];
  /** For the first `examples` occurrences (spread over the words): the query and its nearest neighbours by the mix. */
  examples: { word: string; sense: string; sentence: string; neighbours: ProbeNeighbour[] }[];
}

export interface ProbeOptions {
  /** Centre each layer's vectors by their mean over every token of the probe sentences (default true). */
  center?: boolean;
  /** Example neighbour lists to keep (default 4), and neighbours in each (default 3). */
  examples?: number;
  neighbours?: number;
  /** Sentences per forward pass (default 32). */
  batchSize?: number;
}

function cosine(a: Float64Array, b: Float64Array): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : d / Math.sqrt(na * nb);
}

/** Runs the probe: the model's layers for every item's word in its sentence, and nearest-neighbour sense agreement per layer. */
export function runProbe(model: ElmoLanguageModel, items: readonly ProbeItem[], opts: ProbeOptions = {}): ProbeReport {
  if (items.length < 2) throw new TesseraError('probe: need at least two occurrences');
  const center = opts.center ?? true;
  const batchSize = opts.batchSize ?? 32;
  const wasTraining = model.training;
  const grads = model.parameters().map((p) => p.requiresGrad);
  const elmo = new Elmo(model, { dropout: 0, scalarMixParameters: new Array<number>(model.config.lstm.n_layers + 1).fill(0) });
  elmo.eval();
  const numLayers = model.config.lstm.n_layers + 1;
  // vectors[k][i]: layer k (the last is the mix) of item i; sums[k]: over every probe token, for centring
  const vectors: Float64Array[][] = Array.from({ length: numLayers + 1 }, () => []);
  const sums: Float64Array[] = [];
  let tokenCount = 0;
  try {
    for (let s = 0; s < items.length; s += batchSize) {
      const chunk = items.slice(s, s + batchSize);
      // host copies of every layer (the mix last); tidy frees the pass's tensors at once
      const all = noGrad(() => tidy(() => {
        const out = elmo.forward(chunk.map((it) => it.tokens));
        return [...out.layers, out.elmoRepresentations[0]!].map((l) => ({ shape: l.shape as [number, number, number], data: l.toArray() }));
      }));
      all.forEach(({ shape, data }, k) => {
        const [, T, H] = shape;
        sums[k] ??= new Float64Array(H);
        chunk.forEach((it, b) => {
          for (let t = 0; t < it.tokens.length; t++) for (let h = 0; h < H; h++) sums[k]![h]! += Number(data[(b * T + t) * H + h]);
          vectors[k]!.push(Float64Array.from({ length: H }, (_, h) => Number(data[(b * T + it.index) * H + h])));
        });
      });
      tokenCount += chunk.reduce((n, it) => n + it.tokens.length, 0);
    }
  } finally {
    model.train(wasTraining);
    model.parameters().forEach((p, i) => p.requiresGrad_(grads[i]!));
  }
  if (center) {
    vectors.forEach((vs, k) => {
      const mean = sums[k]!.map((x) => x / tokenCount);
      for (const v of vs) for (let h = 0; h < v.length; h++) v[h]! -= mean[h]!;
    });
  }
  // candidates of item i: the other occurrences of its word
  const groups = new Map<string, number[]>();
  items.forEach((it, i) => groups.set(it.word, [...(groups.get(it.word) ?? []), i]));
  let chance = 0;
  for (const [i, it] of items.entries()) {
    const others = groups.get(it.word)!.filter((j) => j !== i);
    chance += others.length ? others.filter((j) => items[j]!.sense === it.sense).length / others.length : 0;
  }
  chance /= items.length;
  const names = [...Array.from({ length: numLayers }, (_, k) => (k === 0 ? 'token' : `lstm${k}`)), 'mix'];
  const sentence = (it: ProbeItem) => it.tokens.map((t, j) => (j === it.index ? `[${t}]` : t)).join(' ');
  const layers: ProbeLayerResult[] = names.map((layer, k) => {
    const vs = vectors[k]!;
    let hits = 0, same = 0, nSame = 0, other = 0, nOther = 0;
    const perWordHits = new Map<string, number>();
    for (const [i, it] of items.entries()) {
      const others = groups.get(it.word)!.filter((j) => j !== i);
      if (others.length === 0) continue;
      const cos = others.map((j) => cosine(vs[i]!, vs[j]!));
      others.forEach((j, n) => {
        if (j < i) return;
        if (items[j]!.sense === it.sense) { same += cos[n]!; nSame++; } else { other += cos[n]!; nOther++; }
      });
      // nearest neighbour, ties (a context-free layer) split evenly among the tied candidates
      const best = Math.max(...cos);
      const tied = others.filter((_, n) => cos[n]! >= best - 1e-9);
      const h = tied.filter((j) => items[j]!.sense === it.sense).length / tied.length;
      hits += h;
      perWordHits.set(it.word, (perWordHits.get(it.word) ?? 0) + h);
    }
    const perWord: Record<string, number> = {};
    for (const [w, idx] of groups) perWord[w] = (perWordHits.get(w) ?? 0) / idx.length;
    return { layer, accuracy: hits / items.length, perWord, meanCosineSameSense: nSame ? same / nSame : NaN, meanCosineOtherSense: nOther ? other / nOther : NaN };
  });
  // example neighbour lists by the mix: the first occurrence of each sense of the first words
  const nExamples = opts.examples ?? 4, nNeighbours = opts.neighbours ?? 3;
  const examples: ProbeReport['examples'] = [];
  const seen = new Set<string>();
  const mix = vectors[numLayers]!;
  for (const [i, it] of items.entries()) {
    if (examples.length >= nExamples) break;
    if (seen.has(`${it.word}\t${it.sense}`)) continue;
    seen.add(`${it.word}\t${it.sense}`);
    const ranked = groups.get(it.word)!.filter((j) => j !== i).map((j) => ({ j, c: cosine(mix[i]!, mix[j]!) })).sort((a, b) => b.c - a.c);
    examples.push({
      word: it.word, sense: it.sense, sentence: sentence(it),
      neighbours: ranked.slice(0, nNeighbours).map(({ j, c }) => ({ sense: items[j]!.sense, cosine: Number(c.toFixed(4)), sentence: sentence(items[j]!) })),
    });
  }
  return { occurrences: items.length, words: groups.size, chance, centered: center, layers, examples };
}
