// Paths of the repo's test fixtures (copied from PyTorch-made reference folders).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/<name> in the source tree (tests run from dist/test, two levels below the root). */
export function fixturePath(...parts: string[]): string {
  const here = dirname(fileURLToPath(import.meta.url)); // dist/test/helpers
  return join(here, '..', '..', '..', 'test', 'fixtures', ...parts);
}
