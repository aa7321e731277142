// The package builds and the CLI answers --help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram } from '../src/cli/main.js';

test('cli builds its command tree', () => {
  const program = buildProgram();
  assert.equal(program.name(), 'tessera');
});
