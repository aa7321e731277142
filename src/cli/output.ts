// Where the commands print: stdout and stderr by default; tests swap these functions to capture what a
// command prints without touching the process streams (which the test runner itself uses).
export const cliOutput = {
  stdout: (text: string): void => void process.stdout.write(text),
  stderr: (text: string): void => void process.stderr.write(text),
  /** Whether stderr is a terminal (a progress bar is drawn then). */
  isTTY: (): boolean => process.stderr.isTTY === true,
};

/** Prints lines on stdout. */
export function printLines(...lines: string[]): void {
  cliOutput.stdout(lines.map((l) => l + '\n').join(''));
}
