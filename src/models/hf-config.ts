// Reading Hugging Face config.json values with defaults and one-line errors, and the label keys every
// classification head shares (id2label / label2id / num_labels / problem_type, as PretrainedConfig has them).
import { TesseraError } from '../errors.js';
import type { JsonObject, JsonValue } from '../io/json.js';

/** How a classification head turns labels into a loss (PretrainedConfig.problem_type). */
export type ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

const PROBLEM_TYPES: readonly string[] = ['regression', 'single_label_classification', 'multi_label_classification'];

/** Validates config values, naming the config and the key in every error. */
export class ConfigReader {
  constructor(private readonly raw: JsonObject, private readonly source: string) {}

  private fail(key: string, want: string): never {
    throw new TesseraError(`${this.source}: ${key} must be ${want}, got ${JSON.stringify(this.raw[key])}`);
  }

  /** A positive integer (or >= 0 when `min` is 0). */
  int(key: string, fallback: number, min = 1): number {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(key, min === 0 ? 'a non-negative integer' : 'a positive integer');
    return v;
  }

  /** A finite number in [lo, hi]. */
  num(key: string, fallback: number, lo = -Infinity, hi = Infinity): number {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) this.fail(key, `a number in [${lo}, ${hi}]`);
    return v;
  }

  /** A number in [lo, hi] or null (null kept: HF uses it for "fall back to another key"). */
  numOrNull(key: string, fallback: number | null, lo = -Infinity, hi = Infinity): number | null {
    const v = this.raw[key];
    if (v === undefined) return fallback;
    if (v === null) return null;
    return this.num(key, 0, lo, hi);
  }

  /** An integer or null (token ids). */
  intOrNull(key: string, fallback: number | null): number | null {
    const v = this.raw[key];
    if (v === undefined) return fallback;
    if (v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(key, 'an integer or null');
    return v;
  }

  str(key: string, fallback: string): string {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  /** problem_type: null or one of HF's three names. */
  problemType(): ProblemType | null {
    const v = this.raw.problem_type;
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || !PROBLEM_TYPES.includes(v)) this.fail('problem_type', `null or one of ${PROBLEM_TYPES.join(', ')}`);
    return v as ProblemType;
  }

  /**
   * The label maps: id2label / label2id as given, or built for `num_labels` (LABEL_0, LABEL_1, ...) as
   * PretrainedConfig does; 2 labels when neither is given.
   */
  labels(): { id2label: JsonObject; label2id: JsonObject } {
    const given = this.raw.id2label;
    const numLabels = this.raw.num_labels;
    if (given !== undefined && given !== null) {
      if (typeof given !== 'object' || Array.isArray(given)) this.fail('id2label', 'an object of "index": "name"');
      const n = Object.keys(given).length;
      Object.keys(given).forEach((k) => {
        const i = Number(k);
        if (!Number.isInteger(i) || i < 0 || i >= n) throw new TesseraError(`${this.source}: id2label key '${k}' is not an index in [0, ${n})`);
      });
      if (numLabels !== undefined && numLabels !== null && numLabels !== n) {
        throw new TesseraError(`${this.source}: num_labels ${JSON.stringify(numLabels)} disagrees with the ${n} entries of id2label`);
      }
      const label2id: JsonObject = {};
      const id2label: JsonObject = {};
      for (const [k, name] of Object.entries(given)) {
        id2label[String(Number(k))] = name;
        label2id[String(name)] = Number(k);
      }
      const l2i = this.raw.label2id;
      return { id2label, label2id: l2i && typeof l2i === 'object' && !Array.isArray(l2i) ? l2i : label2id };
    }
    const n = this.int('num_labels', 2, 0);
    const id2label: JsonObject = {};
    const label2id: JsonObject = {};
    for (let i = 0; i < n; i++) {
      id2label[String(i)] = `LABEL_${i}`;
      label2id[`LABEL_${i}`] = i;
    }
    return { id2label, label2id };
  }

  /** Keys of the raw object that the family does not interpret, copied through (HF keeps unknown keys). */
  extras(known: readonly string[]): JsonObject {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(this.raw)) if (!known.includes(k) && k !== 'num_labels') out[k] = v as JsonValue;
    return out;
  }
}

/** The number of labels of a config with id2label (as PretrainedConfig.num_labels). */
export function numLabelsOf(config: { id2label: JsonObject }): number {
  return Object.keys(config.id2label).length;
}
