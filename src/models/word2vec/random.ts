// word2vec.c's 64-bit linear congruential generator (next = next * 25214903917 + 11 mod 2^64), emulated
// exactly with two unsigned 32-bit halves so that no BigInt is needed on the training hot path.
// Reference: https://github.com/tmikolov/word2vec/blob/master/word2vec.c (every `next_random` use).

const MUL_LO = 0xdeece66d; // 25214903917 = 5 * 2^32 + 0xDEECE66D
const MUL_HI = 5;
const MUL_LO_LOW16 = MUL_LO & 0xffff;
const MUL_LO_HIGH16 = MUL_LO >>> 16;
const TWO_POW_32 = 4294967296;

/**
 * The generator state `hi * 2^32 + lo`. Every derived value below equals what word2vec.c computes from its
 * `unsigned long long next_random`, so with the same start state the two draw the same numbers.
 */
export class Lcg {
  /** High 32 bits of the state (unsigned). */
  hi: number;
  /** Low 32 bits of the state (unsigned). */
  lo: number;

  /** Starts at `hi * 2^32 + lo`; word2vec.c starts thread `t` at `0 * 2^32 + t`. */
  constructor(hi: number, lo: number) {
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }

  /** Advances once: state = state * 25214903917 + 11 (mod 2^64). */
  next(): void {
    const lo = this.lo;
    // Full 64-bit product lo * MUL_LO from 16-bit pieces (every partial product is below 2^32, exact).
    const l0 = lo & 0xffff;
    const l1 = lo >>> 16;
    const w0 = l0 * MUL_LO_LOW16;
    const k = l1 * MUL_LO_LOW16 + (w0 >>> 16);
    const k2 = l0 * MUL_LO_HIGH16 + (k & 0xffff);
    const productHi = l1 * MUL_LO_HIGH16 + (k >>> 16) + (k2 >>> 16);
    const productLo = Math.imul(lo, MUL_LO) >>> 0;
    const sumLo = productLo + 11;
    const carry = sumLo >= TWO_POW_32 ? 1 : 0;
    this.lo = sumLo >>> 0;
    this.hi = (productHi + Math.imul(lo, MUL_HI) + Math.imul(this.hi, MUL_LO) + carry) >>> 0;
  }

  /** `next_random & 0xFFFF`. */
  low16(): number {
    return this.lo & 0xffff;
  }

  /** `next_random % m` over the full 64-bit state, for 0 < m < 2^31. */
  mod(m: number): number {
    let r = this.hi % m;
    r = (r * 65536 + (this.lo >>> 16)) % m;
    return (r * 65536 + (this.lo & 0xffff)) % m;
  }

  /** `(next_random >> 16) % m`, for 0 < m < 2^31 (the 48-bit shifted value is exact as a double). */
  shr16Mod(m: number): number {
    const v = this.hi * 65536 + (this.lo >>> 16);
    const q = Math.floor(v / m);
    let r = v - q * m; // exact: all terms are integers below 2^53
    if (r < 0) r += m;
    else if (r >= m) r -= m;
    return r;
  }
}
