// Training tokenizers from text files or strings: a BERT WordPiece tokenizer and a GPT-2 byte-level BPE
// tokenizer, configured as Hugging Face's BertWordPieceTokenizer / ByteLevelBPETokenizer train them.
import { TesseraError } from '../errors.js';
import type { AddedToken } from './added-vocabulary.js';
import { BpeModel } from './bpe.js';
import { learnBpe } from './bpe-trainer.js';
import { byteLevelAlphabet, toByteLevel } from './byte-level.js';
import { ByteLevelDecoder, WordPieceDecoder } from './decoder.js';
import { BertNormalizer, normalizeText, type Normalizer } from './normalizer.js';
import { ByteLevelProcessing, TemplateProcessing } from './post-processor.js';
import { BertPreTokenizer, ByteLevelPreTokenizer, type PreTokenizer } from './pre-tokenizer.js';
import { readTextFile } from './serialization.js';
import { Tokenizer } from './tokenizer.js';
import { WordPieceModel } from './wordpiece.js';

/** Training text: files (read line by line, each line one text) or strings. */
export type TrainingSource = { files: readonly string[] } | { texts: Iterable<string> };

/** Options of {@link trainWordPiece}. */
export interface WordPieceTrainingOptions {
  /** Default 30000. */
  vocabSize?: number;
  /** Pairs seen fewer times are not merged. Default 2. */
  minFrequency?: number;
  /** Default [PAD], [UNK], [CLS], [SEP], [MASK] (ids 0-4). */
  specialTokens?: readonly string[];
  /** Keep the most frequent characters only. Default 1000. */
  limitAlphabet?: number;
  /** Lowercase and strip accents (uncased BERT). Default true. */
  lowercase?: boolean;
  /** Default "[UNK]". */
  unkToken?: string;
}

/** Options of {@link trainBpe}. */
export interface BpeTrainingOptions {
  /** Default 30000. */
  vocabSize?: number;
  /** Pairs seen fewer times are not merged. Default 2. */
  minFrequency?: number;
  /** Default ["<|endoftext|>"]. */
  specialTokens?: readonly string[];
  /** Put a space in front of every text (GPT-2 does not). Default false. */
  addPrefixSpace?: boolean;
}

function* textsOf(source: TrainingSource): Iterable<string> {
  if ('files' in source) {
    if (source.files.length === 0) throw new TesseraError('training: no files given');
    for (const file of source.files) {
      const text = readTextFile(file, 'training file');
      yield* text.split('\n');
    }
  } else {
    yield* source.texts;
  }
}

/** Counts the pre-tokenized words of every text, as the model will see them (byte-level spelled when asked). */
export function countWords(source: TrainingSource, normalizer: Normalizer | null, preTokenizer: PreTokenizer): Map<string, number> {
  const counts = new Map<string, number>();
  const spans: number[] = [];
  for (const raw of textsOf(source)) {
    let text = normalizer ? normalizeText(normalizer, raw).text : raw;
    if (preTokenizer.addPrefixSpace && text.length > 0 && text.charCodeAt(0) !== 32) text = ' ' + text;
    spans.length = 0;
    preTokenizer.split(text, 0, text.length, spans);
    for (let k = 0; k < spans.length; k += 2) {
      const w = text.slice(spans[k]!, spans[k + 1]!);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  if (!preTokenizer.byteLevel) return counts;
  const spelled = new Map<string, number>();
  for (const [w, c] of counts) {
    const s = toByteLevel(w).text;
    spelled.set(s, (spelled.get(s) ?? 0) + c);
  }
  return spelled;
}

function checkOptions(o: { vocabSize?: number; minFrequency?: number }): void {
  if (o.vocabSize !== undefined && (!Number.isInteger(o.vocabSize) || o.vocabSize <= 0)) {
    throw new TesseraError(`vocabSize must be a positive integer (got ${o.vocabSize})`);
  }
  if (o.minFrequency !== undefined && !(o.minFrequency >= 0)) throw new TesseraError(`minFrequency must be zero or more (got ${o.minFrequency})`);
}

function specials(tokens: readonly string[], vocab: Map<string, number>): AddedToken[] {
  return tokens.map((content) => ({
    id: vocab.get(content)!,
    content,
    singleWord: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

/**
 * Trains a BERT WordPiece tokenizer (HF's WordPieceTrainer: BPE merges with a "##" prefix on
 * non-initial symbols, the resulting vocabulary used greedily). Returns a tokenizer with BERT's
 * normalizer, pre-tokenizer, [CLS]/[SEP] template and WordPiece decoder.
 */
export function trainWordPiece(source: TrainingSource, options: WordPieceTrainingOptions = {}): Tokenizer {
  checkOptions(options);
  const specialTokens = options.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const normalizer = new BertNormalizer({ lowercase: options.lowercase ?? true });
  const preTokenizer = new BertPreTokenizer();
  const words = countWords(source, normalizer, preTokenizer);
  const { vocab } = learnBpe(words, {
    vocabSize: options.vocabSize ?? 30000,
    minFrequency: options.minFrequency ?? 2,
    specialTokens,
    limitAlphabet: options.limitAlphabet ?? 1000,
    continuingSubwordPrefix: '##',
  });
  const cls = vocab.get('[CLS]');
  const sep = vocab.get('[SEP]');
  return new Tokenizer({
    model: new WordPieceModel(vocab, { unkToken: options.unkToken ?? '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }),
    normalizer,
    preTokenizer,
    postProcessor:
      cls !== undefined && sep !== undefined
        ? TemplateProcessing.fromStrings('[CLS]:0 $A:0 [SEP]:0', '[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1', [
            ['[CLS]', cls],
            ['[SEP]', sep],
          ])
        : null,
    decoder: new WordPieceDecoder('##', true),
    addedTokens: specials(specialTokens, vocab),
  });
}

/**
 * Trains a GPT-2 byte-level BPE tokenizer (HF's BpeTrainer with the 256 byte characters as initial
 * alphabet). Returns a tokenizer with GPT-2's ByteLevel pre-tokenizer, post-processor and decoder.
 */
export function trainBpe(source: TrainingSource, options: BpeTrainingOptions = {}): Tokenizer {
  checkOptions(options);
  const specialTokens = options.specialTokens ?? ['<|endoftext|>'];
  const preTokenizer = new ByteLevelPreTokenizer({ addPrefixSpace: options.addPrefixSpace ?? false, trimOffsets: true, useRegex: true });
  const words = countWords(source, null, preTokenizer);
  const { vocab, merges } = learnBpe(words, {
    vocabSize: options.vocabSize ?? 30000,
    minFrequency: options.minFrequency ?? 2,
    specialTokens,
    initialAlphabet: byteLevelAlphabet(),
  });
  return new Tokenizer({
    model: new BpeModel(vocab, merges),
    normalizer: null,
    preTokenizer,
    postProcessor: new ByteLevelProcessing({ addPrefixSpace: true, trimOffsets: false, useRegex: true }),
    decoder: new ByteLevelDecoder(true, true, true),
    addedTokens: specials(specialTokens, vocab),
  });
}
