// The seeded generator of the cpu-js device: xoshiro128** (32-bit state words, exact in JS integers),
// seeded through splitmix32. Uniform floats use 24 random bits; normals use Box-Muller in pairs.

export class Xoshiro128 {
  private s = new Uint32Array(4);

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const t = s[1]! << 9;
    const m = Math.imul(s[1]!, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    s[2] ^= s[0]!;
    s[3] ^= s[1]!;
    s[1] ^= s[2]!;
    s[0] ^= s[3]!;
    s[2] ^= t;
    s[3] = (s[3]! << 11) | (s[3]! >>> 21);
    return r;
  }

  /** Uniform in [0, 1) with 24 bits (every value exact in float32). */
  uniform(): number {
    return (this.nextU32() >>> 8) / 16777216;
  }

  fillUniform(out: Float32Array, lo: number, hi: number): void {
    const w = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = lo + w * this.uniform();
  }

  fillNormal(out: Float32Array, mean: number, std: number): void {
    for (let i = 0; i < out.length; i += 2) {
      // 1 - u keeps the log argument in (0, 1]
      const u1 = 1 - this.uniform();
      const u2 = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
    }
  }

  getState(): number[] {
    return [...this.s];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 4) throw new Error(`cpu-js generator state must have 4 words, got ${state.length}`);
    for (let i = 0; i < 4; i++) this.s[i] = state[i]! >>> 0;
  }
}
