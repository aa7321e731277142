// Decoders: turn token strings back into text. WordPiece (glue "##" pieces, BERT's cleanup of spaces
// before punctuation), ByteLevel (bytes back to UTF-8) and Fuse (plain concatenation).
// HF tokenizers/src/decoders/{wordpiece,byte_level,fuse}.rs.
import { FormatError } from '../errors.js';
import { byteLevelToString } from './byte-level.js';
import { isObject, type JsonValue } from './json.js';

/** A decoder. */
export interface Decoder {
  decode(tokens: readonly string[]): string;
  toJson(): JsonValue;
}

const CLEANUPS: Array<[string, string]> = [
  [' .', '.'],
  [' ?', '?'],
  [' !', '!'],
  [' ,', ','],
  [" ' ", "'"],
  [" n't", "n't"],
  [" 'm", "'m"],
  [' do not', " don't"],
  [" 's", "'s"],
  [" 've", "'ve"],
  [" 're", "'re"],
];

/** BERT's tokenization-space cleanup, applied (as HF does) to each token as it is glued on. */
export function cleanupTokenizationSpaces(s: string): string {
  let out = s;
  for (const [from, to] of CLEANUPS) if (out.includes(from)) out = out.split(from).join(to);
  return out;
}

/** The WordPiece decoder: "##" pieces join the previous token, other tokens get a space before them. */
export class WordPieceDecoder implements Decoder {
  constructor(
    readonly prefix = '##',
    readonly cleanup = true,
  ) {}
  decode(tokens: readonly string[]): string {
    let out = '';
    tokens.forEach((token, i) => {
      let t = token;
      if (i > 0) t = t.startsWith(this.prefix) ? t.slice(this.prefix.length) : ' ' + t;
      out += this.cleanup ? cleanupTokenizationSpaces(t) : t;
    });
    return out;
  }
  toJson(): JsonValue {
    return { type: 'WordPiece', prefix: this.prefix, cleanup: this.cleanup };
  }
}

/** The byte-level decoder: token characters stand for bytes, decoded as UTF-8 (invalid bytes become U+FFFD). */
export class ByteLevelDecoder implements Decoder {
  constructor(
    readonly addPrefixSpace = true,
    readonly trimOffsets = true,
    readonly useRegex = true,
  ) {}
  decode(tokens: readonly string[]): string {
    return byteLevelToString(tokens);
  }
  toJson(): JsonValue {
    return { type: 'ByteLevel', add_prefix_space: this.addPrefixSpace, trim_offsets: this.trimOffsets, use_regex: this.useRegex };
  }
}

/** Concatenates the tokens (used by the character tokenizer). */
export class FuseDecoder implements Decoder {
  decode(tokens: readonly string[]): string {
    return tokens.join('');
  }
  toJson(): JsonValue {
    return { type: 'Fuse' };
  }
}

/** Builds a decoder from its tokenizer.json form; `where` names the file in errors. */
export function decoderFromJson(json: unknown, where: string): Decoder | null {
  if (json === null || json === undefined) return null;
  if (!isObject(json)) throw new FormatError(`${where}: "decoder" must be an object or null`);
  const flag = (k: string, fallback: boolean) => (json[k] === undefined ? fallback : Boolean(json[k]));
  switch (json.type) {
    case 'WordPiece':
      return new WordPieceDecoder(typeof json.prefix === 'string' ? json.prefix : '##', flag('cleanup', true));
    case 'ByteLevel':
      return new ByteLevelDecoder(flag('add_prefix_space', true), flag('trim_offsets', true), flag('use_regex', true));
    case 'Fuse':
      return new FuseDecoder();
    default:
      throw new FormatError(`${where}: unsupported decoder type ${JSON.stringify(json.type)} (supported: WordPiece, ByteLevel, Fuse)`);
  }
}
