// docker's one check on the CLI's side of -it: the input must be a terminal, as the container
// will read it in raw mode. docker refuses a pipe or a file with exit status 1 before it
// does anything else; -t alone or with -d needs no terminal here.
import { isatty } from 'node:tty';

const notATerminalMessage = 'the input device is not a TTY';

/** Prints docker's refusal and gives true when -it (in the foreground) has no terminal on stdin. */
export function refuseNonTerminalInput(flags: { interactive?: boolean; tty?: boolean; detach?: boolean }): boolean {
  if (flags.interactive !== true || flags.tty !== true || flags.detach === true || isatty(0)) return false;
  process.stderr.write(`${notATerminalMessage}\n`);
  process.exitCode = 1;
  return true;
}
