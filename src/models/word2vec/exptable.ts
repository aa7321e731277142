// word2vec.c's sigmoid table: 1000 precomputed values of 1 / (1 + e^-x) over [-6, 6], and its index rule.

/** Entries of the sigmoid table. */
export const EXP_TABLE_SIZE = 1000;
/** The sigmoid table covers [-MAX_EXP, MAX_EXP]. */
export const MAX_EXP = 6;
/**
 * The table index of x is trunc((x + MAX_EXP) * EXP_INDEX_SCALE), where word2vec.c's
 * `EXP_TABLE_SIZE / MAX_EXP / 2` is integer arithmetic: 1000 / 6 / 2 = 83 (not 83.33).
 */
export const EXP_INDEX_SCALE = Math.trunc(Math.trunc(EXP_TABLE_SIZE / MAX_EXP) / 2);

/** sigmoid((i / 1000 * 2 - 1) * 6) for i in [0, 1000), computed in float as word2vec.c's main(). */
export const EXP_TABLE: Float32Array = (() => {
  const table = new Float32Array(EXP_TABLE_SIZE + 1);
  for (let i = 0; i < EXP_TABLE_SIZE; i++) {
    const x = Math.fround(Math.fround(Math.fround(Math.fround(i / EXP_TABLE_SIZE) * 2) - 1) * MAX_EXP);
    const e = Math.fround(Math.exp(x));
    table[i] = Math.fround(e / Math.fround(e + 1));
  }
  return table;
})();

/** The table's sigmoid of f, for -MAX_EXP <= f <= MAX_EXP (as word2vec.c reads it). */
export function tableSigmoid(f: number): number {
  return EXP_TABLE[((f + MAX_EXP) * EXP_INDEX_SCALE) | 0];
}
