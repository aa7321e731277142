// The list of command groups. Each family adds one `register` call here.
import type { Command } from 'commander';
import { register as registerTokenize } from './tokenize.js';

/** Registers every command group on the root program. */
export function registerAll(program: Command): void {
  void program;
  registerTokenize(program);
}
