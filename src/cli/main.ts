// Entry point of the `tessera` command: registers every family's commands and turns errors into one line.
import { Command, CommanderError } from 'commander';
import { registerAll } from './commands/index.js';
import { cliOutput } from './output.js';

/** Builds the command tree (exported so tests can drive it without a process). */
export function buildProgram(): Command {
  const program = new Command('tessera')
    .description('Build, train, fine-tune and run the Transformer family in TypeScript.')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (text) => cliOutput.stdout(text),
      writeErr: (text) => cliOutput.stderr(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'tessera: ')),
    })
    .exitOverride();
  registerAll(program);
  return program;
}

/** Runs the CLI on `argv` (without node and script), returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit "successfully"; commander already printed its message.
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    cliOutput.stderr(`tessera: ${message.split('\n')[0]}\n`);
    if (process.env.TESSERA_DEBUG && err instanceof Error) cliOutput.stderr(`${err.stack}\n`);
    return 1;
  }
}
