// The BPE model: a word starts as one symbol per character and the pair with the lowest merge rank is
// merged (leftmost first) until no ranked pair remains (HF tokenizers/src/models/bpe/{model,word}.rs).
// Short words use a direct scan; long ones a heap over a linked list, so a huge word stays O(n log n).
import { FormatError, TesseraError } from '../errors.js';
import { isObject, type JsonValue } from './json.js';
import { reverseVocab, vocabToJson, type Model } from './model.js';
import { vocabFromJson } from './wordpiece.js';

/** Options of {@link BpeModel}, named as in tokenizer.json. */
export interface BpeOptions {
  unkToken?: string | null;
  continuingSubwordPrefix?: string | null;
  endOfWordSuffix?: string | null;
  fuseUnk?: boolean;
  byteFallback?: boolean;
  ignoreMerges?: boolean;
}

/** Ids must stay below this so a pair of ids packs into one exact double. */
const ID_LIMIT = 1 << 21;
const SCAN_LIMIT = 64;

/** A BPE model with ranked merges. */
export class BpeModel implements Model {
  readonly type = 'BPE' as const;
  readonly unkToken: string | null;
  readonly continuingSubwordPrefix: string | null;
  readonly endOfWordSuffix: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  /** The merges in rank order. */
  readonly merges: ReadonlyArray<readonly [string, string]>;
  private readonly vocab: Map<string, number>;
  private readonly tokens: string[];
  /** (a, b) -> rank of merging them */
  private readonly ranks: PairTable;
  /** rank -> id of the merged token */
  private readonly mergedIds: Int32Array;
  /** id of each one-unit BMP token (-1: none); used when there is no prefix or suffix to add */
  private readonly unitIds = new Int32Array(0x10000).fill(-1);

  /**
   * @param vocab token to id
   * @param merges pairs of tokens, highest priority first; each pair's concatenation (the second
   *   without its continuing-subword prefix) must be in the vocabulary
   */
  constructor(vocab: Map<string, number>, merges: ReadonlyArray<readonly [string, string]>, options: BpeOptions = {}, where = 'BPE') {
    this.vocab = vocab;
    this.tokens = reverseVocab(vocab);
    this.unkToken = options.unkToken ?? null;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? null;
    this.endOfWordSuffix = options.endOfWordSuffix ?? null;
    this.fuseUnk = options.fuseUnk ?? false;
    this.byteFallback = options.byteFallback ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
    this.merges = merges;
    for (const id of vocab.values()) {
      if (id >= ID_LIMIT) throw new FormatError(`${where}: token id ${id} is too large (ids must be below ${ID_LIMIT})`);
    }
    this.mergedIds = new Int32Array(merges.length);
    this.ranks = new PairTable(merges.length);
    for (const [token, id] of vocab) if (token.length === 1) this.unitIds[token.charCodeAt(0)] = id;
    const prefix = this.continuingSubwordPrefix;
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const what = `merge ${rank + 1} (${JSON.stringify(a + ' ' + b)})`;
      if (ia === undefined) throw new FormatError(`${where}: ${what} refers to ${JSON.stringify(a)}, which is not in the vocabulary`);
      if (ib === undefined) throw new FormatError(`${where}: ${what} refers to ${JSON.stringify(b)}, which is not in the vocabulary`);
      const merged = a + (prefix !== null && b.startsWith(prefix) ? b.slice(prefix.length) : b);
      const im = vocab.get(merged);
      if (im === undefined) throw new FormatError(`${where}: ${what} makes ${JSON.stringify(merged)}, which is not in the vocabulary`);
      // As in HF, a repeated pair keeps its last rank.
      this.ranks.set(ia, ib, rank);
      this.mergedIds[rank] = im;
    });
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }

  /** The rank of merging ids a then b, or undefined. */
  rankOf(a: number, b: number): number | undefined {
    const r = this.ranks.get(a, b);
    return r < 0 ? undefined : r;
  }

  tokenize(word: string, ids: number[], starts: number[], ends: number[]): void {
    if (word.length === 0) return;
    if (this.ignoreMerges) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) {
        ids.push(whole);
        starts.push(0);
        ends.push(word.length);
        return;
      }
    }
    const mark = ids.length;
    this.initialSymbols(word, ids, starts, ends);
    const n = ids.length - mark;
    if (n < 2 || this.merges.length === 0) return;
    if (n <= SCAN_LIMIT) this.mergeByScan(ids, starts, ends, mark);
    else this.mergeByHeap(ids, starts, ends, mark);
  }

  /** One symbol per character (with prefix/suffix), byte fallback or [UNK] for unknown ones. */
  private initialSymbols(word: string, ids: number[], starts: number[], ends: number[]): void {
    const prefix = this.continuingSubwordPrefix;
    const suffix = this.endOfWordSuffix;
    const unkId = this.unkToken === null ? undefined : this.vocab.get(this.unkToken);
    const plain = prefix === null && suffix === null;
    let lastWasUnk = false;
    for (let i = 0; i < word.length; ) {
      const c = word.charCodeAt(i);
      if (plain && (c < 0xd800 || c > 0xdfff)) {
        const id = this.unitIds[c]!;
        if (id >= 0) {
          ids.push(id);
          starts.push(i);
          ends.push(i + 1);
          lastWasUnk = false;
          i++;
          continue;
        }
      }
      const len = c >= 0xd800 && c <= 0xdbff && i + 1 < word.length && isLow(word.charCodeAt(i + 1)) ? 2 : 1;
      const end = i + len;
      // A lone surrogate reads as U+FFFD, as everywhere else in the tokenizers.
      let s = len === 2 ? word.slice(i, end) : c >= 0xd800 && c <= 0xdfff ? '\ufffd' : word[i]!;
      if (i > 0 && prefix !== null) s = prefix + s;
      if (end === word.length && suffix !== null) s = s + suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        ids.push(id);
        starts.push(i);
        ends.push(end);
        lastWasUnk = false;
      } else if (this.byteFallback && this.pushByteFallback(word.slice(i, end), i, end, ids, starts, ends)) {
        lastWasUnk = false;
      } else if (this.unkToken !== null) {
        if (unkId === undefined) throw new TesseraError(`BPE: the unknown token ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
        if (this.fuseUnk && lastWasUnk) ends[ends.length - 1] = end;
        else {
          ids.push(unkId);
          starts.push(i);
          ends.push(end);
        }
        lastWasUnk = true;
      }
      // Without an unknown token, an unknown character is dropped (as HF does).
      i = end;
    }
  }

  private pushByteFallback(ch: string, start: number, end: number, ids: number[], starts: number[], ends: number[]): boolean {
    const bytes = new TextEncoder().encode(ch);
    const found: number[] = [];
    for (const b of bytes) {
      const id = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
      if (id === undefined) return false;
      found.push(id);
    }
    for (const id of found) {
      ids.push(id);
      starts.push(start);
      ends.push(end);
    }
    return true;
  }

  private scanSym = new Int32Array(SCAN_LIMIT);
  private scanStart = new Int32Array(SCAN_LIMIT);
  private scanEnd = new Int32Array(SCAN_LIMIT);
  private scanRank = new Int32Array(SCAN_LIMIT);

  /** Merges a short word: ranks of adjacent pairs kept in an array, two refreshed per merge. */
  private mergeByScan(ids: number[], starts: number[], ends: number[], mark: number): void {
    const ranks = this.ranks;
    const sym = this.scanSym;
    const st = this.scanStart;
    const en = this.scanEnd;
    const pr = this.scanRank;
    let n = ids.length - mark;
    for (let k = 0; k < n; k++) {
      sym[k] = ids[mark + k]!;
      st[k] = starts[mark + k]!;
      en[k] = ends[mark + k]!;
    }
    for (let k = 0; k + 1 < n; k++) pr[k] = ranks.get(sym[k]!, sym[k + 1]!);
    for (;;) {
      let best = -1;
      let bestRank = 0x7fffffff;
      for (let k = 0; k + 1 < n; k++) {
        const r = pr[k]!;
        if (r >= 0 && r < bestRank) {
          bestRank = r;
          best = k;
        }
      }
      if (best < 0) break;
      sym[best] = this.mergedIds[bestRank]!;
      en[best] = en[best + 1]!;
      for (let k = best + 1; k + 1 < n; k++) {
        sym[k] = sym[k + 1]!;
        st[k] = st[k + 1]!;
        en[k] = en[k + 1]!;
        pr[k] = pr[k + 1]!;
      }
      n--;
      if (best > 0) pr[best - 1] = ranks.get(sym[best - 1]!, sym[best]!);
      if (best + 1 < n) pr[best] = ranks.get(sym[best]!, sym[best + 1]!);
    }
    for (let k = 0; k < n; k++) {
      ids[mark + k] = sym[k]!;
      starts[mark + k] = st[k]!;
      ends[mark + k] = en[k]!;
    }
    while (ids.length > mark + n) {
      ids.pop();
      starts.pop();
      ends.pop();
    }
  }

  private mergeByHeap(ids: number[], starts: number[], ends: number[], mark: number): void {
    const n = ids.length - mark;
    const sym = Int32Array.from(ids.slice(mark));
    const symEnd = Int32Array.from(ends.slice(mark));
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let k = 0; k < n; k++) {
      next[k] = k + 1 < n ? k + 1 : -1;
      prev[k] = k - 1;
    }
    // Min-heap of rank * 2^31 + left position: lowest rank first, leftmost first among equals.
    const heap = new MinHeap();
    const pushPair = (left: number) => {
      const right = next[left]!;
      if (right < 0) return;
      const r = this.ranks.get(sym[left]!, sym[right]!);
      if (r >= 0) heap.push(r * 2147483648 + left);
    };
    for (let k = 0; k + 1 < n; k++) pushPair(k);
    while (heap.size > 0) {
      const key = heap.pop();
      const rank = Math.floor(key / 2147483648);
      const left = key - rank * 2147483648;
      const right = next[left]!;
      if (!alive[left] || right < 0) continue;
      if (this.ranks.get(sym[left]!, sym[right]!) !== rank) continue;
      sym[left] = this.mergedIds[rank]!;
      symEnd[left] = symEnd[right]!;
      alive[right] = 0;
      next[left] = next[right]!;
      if (next[right]! >= 0) prev[next[right]!] = left;
      if (prev[left]! >= 0) pushPair(prev[left]!);
      pushPair(left);
    }
    const startsCopy = starts.slice(mark);
    ids.length = starts.length = ends.length = mark;
    for (let k = 0; k >= 0; k = next[k]!) {
      ids.push(sym[k]!);
      starts.push(startsCopy[k]!);
      ends.push(symEnd[k]!);
    }
  }

  toJson(): JsonValue {
    return new Map<string, JsonValue>([
      ['type', 'BPE'],
      ['dropout', null],
      ['unk_token', this.unkToken],
      ['continuing_subword_prefix', this.continuingSubwordPrefix],
      ['end_of_word_suffix', this.endOfWordSuffix],
      ['fuse_unk', this.fuseUnk],
      ['byte_fallback', this.byteFallback],
      ['ignore_merges', this.ignoreMerges],
      ['vocab', vocabToJson(this.vocab)],
      ['merges', this.merges.map(([a, b]) => [a, b])],
    ]);
  }

  /** Builds the model from the "model" section of a tokenizer.json (merges as "a b" strings or pairs). */
  static fromJson(j: Record<string, unknown>, where: string): BpeModel {
    const vocab = vocabFromJson(j.vocab, where);
    if (j.dropout !== undefined && j.dropout !== null && j.dropout !== 0) {
      throw new FormatError(`${where}: BPE dropout is not supported (found ${JSON.stringify(j.dropout)})`);
    }
    if (!Array.isArray(j.merges)) throw new FormatError(`${where}: the BPE model has no "merges" list`);
    const merges = j.merges.map((m, i) => parseMerge(m, i, where));
    const optStr = (key: string): string | null => {
      const v = j[key];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'string') throw new FormatError(`${where}: model field "${key}" must be a string or null`);
      return v;
    };
    const optBool = (key: string): boolean => {
      const v = j[key];
      if (v === undefined || v === null) return false;
      if (typeof v !== 'boolean') throw new FormatError(`${where}: model field "${key}" must be true or false`);
      return v;
    };
    return new BpeModel(
      vocab,
      merges,
      {
        unkToken: optStr('unk_token'),
        continuingSubwordPrefix: optStr('continuing_subword_prefix'),
        endOfWordSuffix: optStr('end_of_word_suffix'),
        fuseUnk: optBool('fuse_unk'),
        byteFallback: optBool('byte_fallback'),
        ignoreMerges: optBool('ignore_merges'),
      },
      where,
    );
  }
}

/** Parses one merge: "a b" or ["a", "b"]. `index` is 0-based. */
export function parseMerge(m: unknown, index: number, where: string): [string, string] {
  if (typeof m === 'string') {
    const parts = m.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new FormatError(`${where}: merge ${index + 1} (${JSON.stringify(m)}) is not two tokens separated by one space`);
    }
    return [parts[0]!, parts[1]!];
  }
  if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
  throw new FormatError(`${where}: merge ${index + 1} is neither "a b" nor a pair of strings`);
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** An open-addressing hash table from a pair of ids to a non-negative value (-1: absent). */
class PairTable {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;

  constructor(entries: number) {
    let size = 16;
    while (size < entries * 2) size *= 2;
    this.left = new Int32Array(size).fill(-1);
    this.right = new Int32Array(size);
    this.values = new Int32Array(size);
    this.mask = size - 1;
  }

  private slot(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x632be5ab, 0x85ebca6b);
    h ^= h >>> 15;
    return h & this.mask;
  }

  set(a: number, b: number, value: number): void {
    let i = this.slot(a, b);
    while (this.left[i] !== -1 && !(this.left[i] === a && this.right[i] === b)) i = (i + 1) & this.mask;
    this.left[i] = a;
    this.right[i] = b;
    this.values[i] = value;
  }

  get(a: number, b: number): number {
    let i = this.slot(a, b);
    for (;;) {
      const l = this.left[i]!;
      if (l === -1) return -1;
      if (l === a && this.right[i] === b) return this.values[i]!;
      i = (i + 1) & this.mask;
    }
  }
}

/** A binary min-heap of numbers. */
class MinHeap {
  private data: number[] = [];
  get size(): number {
    return this.data.length;
  }
  push(v: number): void {
    const d = this.data;
    let i = d.length;
    d.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (d[p]! <= v) break;
      d[i] = d[p]!;
      i = p;
    }
    d[i] = v;
  }
  pop(): number {
    const d = this.data;
    const top = d[0]!;
    const last = d.pop()!;
    if (d.length > 0) {
      let i = 0;
      const n = d.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && d[r]! < d[l]! ? r : l;
        if (d[c]! >= last) break;
        d[i] = d[c]!;
        i = c;
      }
      d[i] = last;
    }
    return top;
  }
}

/** Whether a parsed value looks like a BPE model section (used when "type" is missing). */
export function looksLikeBpe(j: Record<string, unknown>): boolean {
  return Array.isArray(j.merges) && isObject(j.vocab);
}
