// An open-addressing hash table from a word's bytes to its id, with its words kept in one byte pool.
// Lookups never build a string, so counting and training read a corpus without allocating per word;
// the arrays can live in SharedArrayBuffers so that every training thread shares one table.

/** FNV-1a offset basis; `hashStep` folds one byte in. */
export const HASH_SEED = 0x811c9dc5 | 0;

/** Folds one byte into an FNV-1a hash (32-bit). */
export function hashStep(hash: number, byte: number): number {
  return Math.imul(hash ^ byte, 16777619);
}

/** FNV-1a hash of `bytes[start, end)`. */
export function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = HASH_SEED;
  for (let i = start; i < end; i++) h = hashStep(h, bytes[i]);
  return h;
}

/** The arrays of a table, as handed to a worker thread. */
export interface WordTableParts {
  slots: Int32Array;
  hashes: Int32Array;
  offsets: Int32Array;
  pool: Uint8Array;
  size: number;
}

function allocInt32(length: number, shared: boolean): Int32Array {
  return shared ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length);
}

/** Word bytes -> id (ids are 0..size-1 in insertion order). */
export class WordTable {
  private slots: Int32Array;
  private mask: number;
  private hashes: Int32Array;
  private offsets: Int32Array;
  private pool: Uint8Array;
  private count: number;

  /** An empty table that grows as words are added. */
  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.slots = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.hashes = new Int32Array(initialCapacity);
    this.offsets = new Int32Array(initialCapacity + 1);
    this.pool = new Uint8Array(initialCapacity * 8);
    this.count = 0;
  }

  /** Number of words. */
  get size(): number {
    return this.count;
  }

  /** Id of `bytes[start, end)` whose hash is `hash`, or -1. */
  find(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const hashes = this.hashes;
    const offsets = this.offsets;
    const pool = this.pool;
    const len = end - start;
    const mask = this.mask;
    let i = hash & mask;
    for (;;) {
      const id = slots[i];
      if (id < 0) return -1;
      if (hashes[id] === hash) {
        const o = offsets[id];
        if (offsets[id + 1] - o === len) {
          let k = 0;
          while (k < len && pool[o + k] === bytes[start + k]) k++;
          if (k === len) return id;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** Adds `bytes[start, end)` (which must be absent) and returns its new id. */
  add(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const id = this.count;
    if (id + 1 >= this.hashes.length) this.growEntries();
    const len = end - start;
    const o = this.offsets[id];
    if (o + len > this.pool.length) {
      const pool = new Uint8Array(Math.max(this.pool.length * 2, o + len));
      pool.set(this.pool);
      this.pool = pool;
    }
    this.pool.set(bytes.subarray(start, end), o);
    this.offsets[id + 1] = o + len;
    this.hashes[id] = hash;
    this.count = id + 1;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.insertSlot(id, hash);
    return id;
  }

  /** The bytes of word `id` (a view into the pool). */
  bytesOf(id: number): Uint8Array {
    return this.pool.subarray(this.offsets[id], this.offsets[id + 1]);
  }

  /** The table's arrays; with `shared`, copies them into SharedArrayBuffers of exact size. */
  parts(shared = false): WordTableParts {
    const n = this.count;
    const poolBytes = this.offsets[n];
    if (!shared) {
      return { slots: this.slots, hashes: this.hashes, offsets: this.offsets, pool: this.pool, size: n };
    }
    const slots = allocInt32(this.slots.length, true);
    slots.set(this.slots);
    const hashes = allocInt32(n, true);
    hashes.set(this.hashes.subarray(0, n));
    const offsets = allocInt32(n + 1, true);
    offsets.set(this.offsets.subarray(0, n + 1));
    const pool = new Uint8Array(new SharedArrayBuffer(Math.max(1, poolBytes)));
    pool.set(this.pool.subarray(0, poolBytes));
    return { slots, hashes, offsets, pool, size: n };
  }

  /** A read-only table over arrays from `parts()` (used by worker threads). */
  static fromParts(parts: WordTableParts): WordTable {
    const table = new WordTable(1);
    table.slots = parts.slots;
    table.mask = parts.slots.length - 1;
    table.hashes = parts.hashes;
    table.offsets = parts.offsets;
    table.pool = parts.pool;
    table.count = parts.size;
    return table;
  }

  private insertSlot(id: number, hash: number): void {
    const mask = this.mask;
    let i = hash & mask;
    while (this.slots[i] >= 0) i = (i + 1) & mask;
    this.slots[i] = id;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    for (let id = 0; id < this.count; id++) this.insertSlot(id, this.hashes[id]);
  }

  private growEntries(): void {
    const cap = this.hashes.length * 2;
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const offsets = new Int32Array(cap + 1);
    offsets.set(this.offsets);
    this.offsets = offsets;
  }
}
