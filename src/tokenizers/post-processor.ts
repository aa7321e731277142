// Post-processors: add the special tokens around one text or a pair and set type ids. Template
// processing (`[CLS] $A [SEP]`, `[CLS] $A [SEP] $B:1 [SEP]:1`), BERT's processing, and GPT-2's
// ByteLevel one (offsets trimming only). HF tokenizers/src/processors/{template,bert,byte_level}.rs.
import { FormatError } from '../errors.js';
import { Encoding } from './encoding.js';
import { isObject, type JsonValue } from './json.js';

/** A post-processor. */
export interface PostProcessor {
  /** How many tokens `process` adds to a single text (false) or a pair (true). */
  addedTokens(isPair: boolean): number;
  /** Combines the encodings of a text (and its pair) into the final encoding. */
  process(a: Encoding, b: Encoding | null, addSpecialTokens: boolean): Encoding;
  toJson(): JsonValue;
}

/** Joins a text and its pair without adding anything (what HF does with no post-processor). */
export function defaultProcess(a: Encoding, b: Encoding | null): Encoding {
  a.setSequenceId(0);
  if (b === null) return a;
  b.setSequenceId(1);
  a.append(b);
  return a;
}

/** One item of a template: a special token or one of the two sequences. */
export type TemplatePiece = { special: string; typeId: number } | { sequence: 'A' | 'B'; typeId: number };

/** A special token a template can use: its name, and the ids and token strings it expands to. */
export interface TemplateSpecialToken {
  id: string;
  ids: number[];
  tokens: string[];
}

/** Parses HF's template string form, e.g. "[CLS] $A [SEP] $B:1 [SEP]:1". */
export function parseTemplate(template: string): TemplatePiece[] {
  return template
    .split(/\s+/)
    .filter((s) => s.length > 0)
    .map((item): TemplatePiece => {
      const m = /^(.*?)(?::(\d+))?$/.exec(item)!;
      const name = m[1]!;
      const typeId = m[2] === undefined ? 0 : Number(m[2]);
      if (name === '$' || name === '$A' || name === '$a') return { sequence: 'A', typeId };
      if (name === '$B' || name === '$b') return { sequence: 'B', typeId };
      if (/^\$\d+$/.test(name)) return { sequence: 'A', typeId: Number(name.slice(1)) };
      return { special: name, typeId };
    });
}

/** HF's TemplateProcessing. */
export class TemplateProcessing implements PostProcessor {
  constructor(
    readonly single: TemplatePiece[],
    readonly pair: TemplatePiece[],
    readonly specialTokens: Map<string, TemplateSpecialToken>,
    where = 'TemplateProcessing',
  ) {
    for (const p of [...single, ...pair]) {
      if ('special' in p && !specialTokens.has(p.special)) {
        throw new FormatError(`${where}: template uses special token ${JSON.stringify(p.special)}, which is not in "special_tokens"`);
      }
    }
    if (single.some((p) => 'sequence' in p && p.sequence === 'B')) throw new FormatError(`${where}: the single template cannot use $B`);
  }

  /** Builds one from template strings and (token, id) pairs, like HF's Python constructor. */
  static fromStrings(single: string, pair: string, specialTokens: Array<[string, number]>): TemplateProcessing {
    const map = new Map<string, TemplateSpecialToken>();
    for (const [token, id] of specialTokens) map.set(token, { id: token, ids: [id], tokens: [token] });
    return new TemplateProcessing(parseTemplate(single), parseTemplate(pair), map);
  }

  addedTokens(isPair: boolean): number {
    let n = 0;
    for (const p of isPair ? this.pair : this.single) if ('special' in p) n += this.specialTokens.get(p.special)!.ids.length;
    return n;
  }

  process(a: Encoding, b: Encoding | null, addSpecialTokens: boolean): Encoding {
    const out = new Encoding();
    if (a.utf16Offsets !== a.offsets || (b !== null && b.utf16Offsets !== b.offsets)) out.utf16Offsets = [];
    for (const piece of b === null ? this.single : this.pair) {
      if ('sequence' in piece) {
        const seq = piece.sequence === 'A' ? a : b;
        if (seq === null) continue;
        seq.setTypeIds(piece.typeId);
        seq.setSequenceId(piece.sequence === 'A' ? 0 : 1);
        out.append(seq);
      } else if (addSpecialTokens) {
        const sp = this.specialTokens.get(piece.special)!;
        sp.ids.forEach((id, k) => out.push(id, sp.tokens[k]!, [0, 0], [0, 0], piece.typeId, 1, null, null));
      }
    }
    return out;
  }

  toJson(): JsonValue {
    const pieces = (list: TemplatePiece[]): JsonValue =>
      list.map(
        (p): JsonValue =>
          'special' in p
            ? { SpecialToken: new Map<string, JsonValue>([['id', p.special], ['type_id', p.typeId]]) }
            : { Sequence: new Map<string, JsonValue>([['id', p.sequence], ['type_id', p.typeId]]) },
      );
    const special = new Map<string, JsonValue>();
    for (const [name, sp] of this.specialTokens) {
      special.set(name, new Map<string, JsonValue>([['id', sp.id], ['ids', sp.ids], ['tokens', sp.tokens]]));
    }
    return new Map<string, JsonValue>([
      ['type', 'TemplateProcessing'],
      ['single', pieces(this.single)],
      ['pair', pieces(this.pair)],
      ['special_tokens', special],
    ]);
  }
}

/** HF's BertProcessing: `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]` with type ids 0 / 1. */
export class BertProcessing implements PostProcessor {
  private readonly template: TemplateProcessing;
  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
  ) {
    this.template = TemplateProcessing.fromStrings(`${cls[0]}:0 $A:0 ${sep[0]}:0`, `${cls[0]}:0 $A:0 ${sep[0]}:0 $B:1 ${sep[0]}:1`, [cls, sep]);
  }
  addedTokens(isPair: boolean): number {
    return isPair ? 3 : 2;
  }
  process(a: Encoding, b: Encoding | null, addSpecialTokens: boolean): Encoding {
    return this.template.process(a, b, addSpecialTokens);
  }
  toJson(): JsonValue {
    return new Map<string, JsonValue>([
      ['type', 'BertProcessing'],
      ['sep', [this.sep[0], this.sep[1]]],
      ['cls', [this.cls[0], this.cls[1]]],
    ]);
  }
}

/** Options of {@link ByteLevelProcessing}, named as in tokenizer.json. */
export interface ByteLevelProcessingOptions {
  addPrefixSpace?: boolean;
  trimOffsets?: boolean;
  useRegex?: boolean;
}

/** GPT-2's post-processor: adds nothing; with trim_offsets, offsets leave out leading/trailing spaces. */
export class ByteLevelProcessing implements PostProcessor {
  readonly addPrefixSpace: boolean;
  readonly trimOffsets: boolean;
  readonly useRegex: boolean;
  constructor(options: ByteLevelProcessingOptions = {}) {
    this.addPrefixSpace = options.addPrefixSpace ?? true;
    this.trimOffsets = options.trimOffsets ?? true;
    this.useRegex = options.useRegex ?? true;
  }
  addedTokens(): number {
    return 0;
  }
  process(a: Encoding, b: Encoding | null): Encoding {
    if (this.trimOffsets) {
      trimByteLevelOffsets(a, this.addPrefixSpace);
      if (b !== null) trimByteLevelOffsets(b, this.addPrefixSpace);
    }
    return defaultProcess(a, b);
  }
  toJson(): JsonValue {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

function isSpaceToken(c: number): boolean {
  return c === 0x120 || c === 0x20 || (c >= 9 && c <= 13) || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** HF byte_level.rs process_offsets: moves offsets past the 'Ġ' spaces a token starts or ends with. */
function trimByteLevelOffsets(e: Encoding, addPrefixSpace: boolean): void {
  const lists = e.utf16Offsets === e.offsets ? [e.offsets] : [e.offsets, e.utf16Offsets];
  e.tokens.forEach((token, i) => {
    let leading = 0;
    while (leading < token.length && isSpaceToken(token.charCodeAt(leading))) leading++;
    let trailing = 0;
    while (trailing < token.length && isSpaceToken(token.charCodeAt(token.length - 1 - trailing))) trailing++;
    if (leading === 0 && trailing === 0) return;
    for (const list of lists) {
      const o = list[i]!;
      let lead = leading;
      if (lead > 0) {
        const isFirst = i === 0 || o[0] === 0;
        if (isFirst && addPrefixSpace && lead === 1) lead = 0;
        o[0] = Math.min(o[0] + lead, o[1]);
      }
      if (trailing > 0 && o[1] >= trailing) o[1] = Math.max(o[1] - trailing, o[0]);
    }
  });
}

function pairOf(v: unknown, key: string, where: string): [string, number] {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'number') {
    throw new FormatError(`${where}: post_processor field "${key}" must be a [token, id] pair`);
  }
  return [v[0], v[1]];
}

function piecesFromJson(v: unknown, key: string, where: string): TemplatePiece[] {
  if (typeof v === 'string') return parseTemplate(v);
  if (!Array.isArray(v)) throw new FormatError(`${where}: TemplateProcessing needs a "${key}" template`);
  return v.map((item, i) => {
    const bad = () => new FormatError(`${where}: TemplateProcessing ${key}[${i}] must be {"SpecialToken": ...} or {"Sequence": ...}`);
    if (!isObject(item)) throw bad();
    const sp = item.SpecialToken;
    const seq = item.Sequence;
    if (isObject(sp) && typeof sp.id === 'string') return { special: sp.id, typeId: typeof sp.type_id === 'number' ? sp.type_id : 0 };
    if (isObject(seq) && (seq.id === 'A' || seq.id === 'B')) return { sequence: seq.id, typeId: typeof seq.type_id === 'number' ? seq.type_id : 0 };
    throw bad();
  });
}

/** Builds a post-processor from its tokenizer.json form; `where` names the file in errors. */
export function postProcessorFromJson(json: unknown, where: string): PostProcessor | null {
  if (json === null || json === undefined) return null;
  if (!isObject(json)) throw new FormatError(`${where}: "post_processor" must be an object or null`);
  switch (json.type) {
    case 'TemplateProcessing': {
      const special = new Map<string, TemplateSpecialToken>();
      const st = json.special_tokens ?? {};
      if (!isObject(st)) throw new FormatError(`${where}: TemplateProcessing "special_tokens" must be an object`);
      for (const [name, v] of Object.entries(st)) {
        if (!isObject(v) || !Array.isArray(v.ids) || !Array.isArray(v.tokens) || v.ids.length !== v.tokens.length) {
          throw new FormatError(`${where}: TemplateProcessing special token ${JSON.stringify(name)} needs "ids" and "tokens" lists of equal length`);
        }
        special.set(name, { id: typeof v.id === 'string' ? v.id : name, ids: v.ids as number[], tokens: v.tokens as string[] });
      }
      return new TemplateProcessing(piecesFromJson(json.single, 'single', where), piecesFromJson(json.pair, 'pair', where), special, where);
    }
    case 'BertProcessing':
      return new BertProcessing(pairOf(json.sep, 'sep', where), pairOf(json.cls, 'cls', where));
    case 'ByteLevel':
      return new ByteLevelProcessing({
        addPrefixSpace: json.add_prefix_space === undefined ? true : Boolean(json.add_prefix_space),
        trimOffsets: json.trim_offsets === undefined ? true : Boolean(json.trim_offsets),
        useRegex: json.use_regex === undefined ? true : Boolean(json.use_regex),
      });
    default:
      throw new FormatError(
        `${where}: unsupported post_processor type ${JSON.stringify(json.type)} (supported: TemplateProcessing, BertProcessing, ByteLevel)`,
      );
  }
}
