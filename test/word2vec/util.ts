// Helpers of the word2vec tests: fixture paths, temporary files, and models placed in SIMD memory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/word2vec/<name> in the source tree (tests run from dist/test/word2vec). */
export function fixture(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'word2vec', name);
}

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'tessera-w2v-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `content` to `dir/name` and returns the path. */
export function writeFile(dir: string, name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

/** A deterministic generator for test data (not the one under test). */
export function testRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * A planted corpus: `topics` groups of `wordsPerTopic` words; each line draws `lineLength` words from one
 * topic (alternating). Words of one topic co-occur, words of different topics never do.
 */
export function plantedCorpus(lines: number, topics = 2, wordsPerTopic = 8, lineLength = 12, seed = 1): string {
  const rand = testRandom(seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const t = i % topics;
    const words: string[] = [];
    for (let k = 0; k < lineLength; k++) words.push(`t${t}w${Math.floor(rand() * wordsPerTopic)}`);
    out.push(words.join(' '));
  }
  return `${out.join('\n')}\n`;
}
