// `npm run bench [-- NAME ...]`: runs the named benchmarks (default: engine, gemm and cpu-peers). Each writes
// its JSON. tokenizers and word2vec take corpus paths (see docs/tokenizers.md, docs/word2vec.md).
const available: Record<string, () => Promise<{ main: (argv?: string[]) => Promise<unknown> }>> = {
  engine: () => import('./engine.js'),
  gemm: () => import('./gemm.js'),
  'cpu-peers': () => import('./cpu-peers.js'),
  tokenizers: () => import('./tokenizers.js'),
  word2vec: () => import('./word2vec.js'),
};

/** Registers a benchmark module by name (modules add themselves in this table's file). */
export function benchNames(): string[] {
  return Object.keys(available);
}

async function run(argv: string[]): Promise<void> {
  const names = argv.filter((a) => !a.startsWith('-'));
  const chosen = names.length ? names : ['engine', 'gemm', 'cpu-peers'];
  for (const name of chosen) {
    const load = available[name];
    if (!load) {
      console.error(`bench: unknown benchmark '${name}' (available: ${Object.keys(available).join(', ')})`);
      process.exitCode = 1;
      return;
    }
    console.log(`== ${name}`);
    await (await load()).main(argv.filter((a) => a !== name));
  }
}

await run(process.argv.slice(2));
