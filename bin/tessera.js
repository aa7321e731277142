#!/usr/bin/env node
// The `tessera` command: a thin launcher for the compiled CLI (built by `npm install` / `npm run build`).
let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('tessera: the compiled CLI is missing; run `npm run build` first');
    process.exit(1);
  }
  throw err;
}
process.exitCode = await cli.runCli(process.argv.slice(2));
