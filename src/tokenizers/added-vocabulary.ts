// Added tokens ([CLS], [MASK], <|endoftext|>, user tokens): found in the text before the model runs
// (leftmost-longest, as HF's AddedVocabulary does), with the single_word / lstrip / rstrip rules.
// Tokens with normalized=false match the raw text; normalized ones match the normalized text.
import { FormatError } from '../errors.js';
import { isObject, type JsonValue } from './json.js';
import { charClass, codePointAt, WHITESPACE, WORD } from './unicode.js';

/** A token handled outside the model, as in tokenizer.json's "added_tokens". */
export interface AddedToken {
  id: number;
  content: string;
  /** Only match when not inside a word. */
  singleWord: boolean;
  /** Also swallow whitespace on the left. */
  lstrip: boolean;
  /** Also swallow whitespace on the right. */
  rstrip: boolean;
  /** Match against the normalized text (true) or the raw text (false). */
  normalized: boolean;
  /** Special tokens are skipped by decode(..., { skipSpecialTokens: true }). */
  special: boolean;
}

/** What a caller gives to add a token: its content, or its content with flags. */
export type AddedTokenInit = string | (Partial<Omit<AddedToken, 'id'>> & { content: string });

/** Builds the matcher for a set of token contents: a regex alternation, longest first. */
function buildMatcher(contents: string[]): RegExp | null {
  if (contents.length === 0) return null;
  const sorted = [...new Set(contents)].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map((c) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|'), 'g');
}

function isWordAt(text: string, i: number): boolean {
  return (charClass(codePointAt(text, i)) & WORD) !== 0;
}

function isSpaceAt(text: string, i: number): boolean {
  return (charClass(text.charCodeAt(i)) & WHITESPACE) !== 0;
}

/** The added tokens of a tokenizer and the matchers that find them. */
export class AddedVocabulary {
  private readonly list: AddedToken[] = [];
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  private rawMatcher: RegExp | null = null;
  private normalizedMatcher: RegExp | null = null;
  /** normalized content -> token, for the normalized matcher */
  private readonly byNormalizedContent = new Map<string, AddedToken>();
  /** id -> normalized content of the normalized tokens */
  private readonly normalizedContentById = new Map<number, string>();

  /** All added tokens, ordered by id. */
  get tokens(): readonly AddedToken[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  get hasNormalized(): boolean {
    return this.normalizedMatcher !== null;
  }

  getByContent(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  getById(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  /**
   * The token string of an added id: its content, or for a normalized token its normalized content
   * (what HF's id_to_token and decode give, e.g. "[x]" for "[X]" under a lowercasing normalizer).
   */
  tokenOf(id: number): string | undefined {
    return this.normalizedContentById.get(id) ?? this.byId.get(id)?.content;
  }

  isSpecial(content: string): boolean {
    return (this.byContent.get(content) ?? this.byNormalizedContent.get(content))?.special ?? false;
  }

  /** Adds (or replaces by content) a token with a known id. */
  add(token: AddedToken): void {
    const old = this.byContent.get(token.content);
    if (old) {
      this.list.splice(this.list.indexOf(old), 1);
      this.byId.delete(old.id);
    }
    this.list.push(token);
    this.list.sort((a, b) => a.id - b.id);
    this.byContent.set(token.content, token);
    this.byId.set(token.id, token);
  }

  /**
   * Rebuilds the matchers. `normalize` turns a token's content into its normalized form (the
   * tokenizer's normalizer), used for tokens with normalized=true.
   */
  refresh(normalize: (s: string) => string): void {
    const raw: string[] = [];
    const norm: string[] = [];
    this.byNormalizedContent.clear();
    this.normalizedContentById.clear();
    for (const t of this.list) {
      if (t.normalized) {
        const n = normalize(t.content);
        if (n.length === 0) continue;
        this.normalizedContentById.set(t.id, n);
        norm.push(n);
        if (!this.byNormalizedContent.has(n)) this.byNormalizedContent.set(n, t);
      } else raw.push(t.content);
    }
    this.rawMatcher = buildMatcher(raw);
    this.normalizedMatcher = buildMatcher(norm);
  }

  /** Splits raw text on the raw-matching tokens: flat triples (start, end, id or -1 for plain text). */
  splitRaw(text: string, start: number, end: number, out: number[]): void {
    this.split(text, start, end, this.rawMatcher, this.byContent, out);
  }

  /** Splits normalized text on the normalized-matching tokens. */
  splitNormalized(text: string, start: number, end: number, out: number[]): void {
    this.split(text, start, end, this.normalizedMatcher, this.byNormalizedContent, out);
  }

  private split(text: string, start: number, end: number, re: RegExp | null, lookup: Map<string, AddedToken>, out: number[]): void {
    if (re === null || start === end) {
      out.push(start, end, -1);
      return;
    }
    // HF AddedVocabulary::find_matches (tokenizers/src/tokenizer/added_vocabulary.rs).
    const slice = start === 0 && end === text.length ? text : text.slice(start, end);
    let offset = 0;
    re.lastIndex = 0;
    for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
      let s = m.index;
      let e = s + m[0].length;
      const token = lookup.get(m[0])!;
      if (s < offset) continue;
      if (token.singleWord) {
        const wordBefore = s > 0 && isWordAt(slice, prevCodePointIndex(slice, s));
        const wordAfter = e < slice.length && isWordAt(slice, e);
        if (wordBefore || wordAfter) continue;
      }
      if (token.lstrip) {
        let ns = s;
        while (ns > 0 && isSpaceAt(slice, ns - 1)) ns--;
        s = Math.max(ns, offset);
      }
      if (token.rstrip) while (e < slice.length && isSpaceAt(slice, e)) e++;
      if (offset < s) out.push(start + offset, start + s, -1);
      out.push(start + s, start + e, token.id);
      offset = e;
    }
    if (offset < slice.length) out.push(start + offset, end, -1);
  }

  /** The "added_tokens" section of tokenizer.json. */
  toJson(): JsonValue {
    return this.list.map(
      (t) =>
        new Map<string, JsonValue>([
          ['id', t.id],
          ['content', t.content],
          ['single_word', t.singleWord],
          ['lstrip', t.lstrip],
          ['rstrip', t.rstrip],
          ['normalized', t.normalized],
          ['special', t.special],
        ]),
    );
  }

  /** Reads the "added_tokens" section of tokenizer.json. */
  static fromJson(json: unknown, where: string): AddedToken[] {
    if (json === undefined || json === null) return [];
    if (!Array.isArray(json)) throw new FormatError(`${where}: "added_tokens" must be a list`);
    return json.map((t, i) => {
      if (!isObject(t) || typeof t.content !== 'string' || typeof t.id !== 'number' || !Number.isInteger(t.id) || t.id < 0) {
        throw new FormatError(`${where}: added_tokens[${i}] needs a string "content" and a non-negative integer "id"`);
      }
      const flag = (k: string, fallback: boolean): boolean => {
        const v = t[k];
        if (v === undefined) return fallback;
        if (typeof v !== 'boolean') throw new FormatError(`${where}: added_tokens[${i}].${k} must be true or false`);
        return v;
      };
      const special = flag('special', false);
      return {
        id: t.id,
        content: t.content,
        singleWord: flag('single_word', false),
        lstrip: flag('lstrip', false),
        rstrip: flag('rstrip', false),
        normalized: flag('normalized', !special),
        special,
      };
    });
  }
}

function prevCodePointIndex(s: string, i: number): number {
  const c = s.charCodeAt(i - 1);
  if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
    const h = s.charCodeAt(i - 2);
    if (h >= 0xd800 && h <= 0xdbff) return i - 2;
  }
  return i - 1;
}
