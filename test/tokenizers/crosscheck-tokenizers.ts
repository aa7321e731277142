// The tokenizers (saved by Tessera: added-token flags, truncation, padding, prefix spaces, trained,
// char-level) and hard random texts of the HF cross-check. Run directly with a directory, it writes
// them there for test/fixtures/tokenizers/crosscheck/hf_encode.py.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ByteLevelDecoder,
  ByteLevelPreTokenizer,
  ByteLevelProcessing,
  CharTokenizer,
  Tokenizer,
  trainBpe,
  trainWordPiece,
} from '../../src/tokenizers/index.js';
import { expected, FIXTURES } from './helpers.js';

/** Texts (20 WikiText lines, then random strings) and pairs of random strings. */
export function crosscheckTexts(): { texts: string[]; pairs: Array<[string, string]> } {
  const wiki = expected('wordpiece-uncased').single.slice(0, 20).map((c) => c.text);
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
  const pool = ["'", 's', 't', 're', 'll', 'A', 'é', 'É', 'ß', 'İ', 'Σ', 'ǅ', '中', '丽', 'ア', '한', '𝐀', '7', '٣', '½', ' ', '  ', '\t', '\n', '\r',
    '\x0b', '\x0c', '\x1c', '\u00a0', '\u2028', '\u3000', '\u0085', '\ufeff', '\u200b', '\u200d', '.', ',', '!', '?', '-', '@', '#', '"', '(', '🤗',
    '👍🏽', '\u0301', '\u0308', '_', '$', '€', '\x00', '\x7f', '\ufffd', 'e\u0301', '[MASK]', '<|endoftext|>', '<l>', '<r>', '<w>', 'w', '[x]', '[X]',
    'Ⅻ', 'ﬁ', '\ue000'];
  const random: string[] = [];
  for (let n = 0; n < 120; n++) {
    let t = '';
    const len = Math.floor(next() * 20);
    for (let i = 0; i < len; i++) t += pool[Math.floor(next() * pool.length)];
    random.push(t);
  }
  const pairs = random.slice(0, 40).map((t, i): [string, string] => [t, random[random.length - 1 - i]!]);
  return { texts: [...wiki, ...random], pairs };
}

/** The tokenizers, by name. */
export function crosscheckTokenizers(): Record<string, Tokenizer> {
  const wikiLines = expected('wordpiece-uncased').single.slice(0, 150).map((c) => c.text);
  const out: Record<string, Tokenizer> = {
    'wp-uncased': Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased')),
    'wp-cased': Tokenizer.fromDir(join(FIXTURES, 'wordpiece-cased')),
    gpt2: Tokenizer.fromDir(join(FIXTURES, 'bpe-gpt2')),
  };
  const wp = Tokenizer.fromDir(join(FIXTURES, 'wordpiece-uncased'));
  wp.addTokens([{ content: '<l>', lstrip: true, special: true }, { content: '<r>', rstrip: true }, { content: '<w>', singleWord: true }, '[X]']);
  wp.truncation = { maxLength: 12, strategy: 'longest_first' };
  wp.padding = { length: 14 };
  out['wp-added-trunc-pad'] = wp;
  const gpt2 = out.gpt2!;
  const prefixed = new Tokenizer({
    model: gpt2.model,
    preTokenizer: new ByteLevelPreTokenizer({ addPrefixSpace: true }),
    postProcessor: new ByteLevelProcessing({ trimOffsets: true }),
    decoder: new ByteLevelDecoder(),
    addedTokens: [...gpt2.addedTokens],
  });
  prefixed.addTokens([{ content: '<l>', lstrip: true }, { content: '<r>', rstrip: true }]);
  out['gpt2-prefix-trim'] = prefixed;
  out['trained-wp'] = trainWordPiece({ texts: wikiLines }, { vocabSize: 700 });
  out['trained-bpe'] = trainBpe({ texts: wikiLines }, { vocabSize: 1000 });
  out.char = CharTokenizer.fromCorpus(wikiLines.join('\n') + 'é', { specialTokens: ['<|endoftext|>'], unkToken: '<unk>' });
  out['char-nounk'] = CharTokenizer.fromCorpus(wikiLines.join('\n'));
  return out;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write('usage: node dist/test/tokenizers/crosscheck-tokenizers.js OUTPUT_DIR\n');
    process.exit(1);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'texts.json'), JSON.stringify(crosscheckTexts()));
  for (const [name, tok] of Object.entries(crosscheckTokenizers())) tok.save(join(dir, `${name}.json`));
}
