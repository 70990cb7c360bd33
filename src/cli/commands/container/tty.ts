// The CLI's side of a terminal (-t), as docker's: with -i the input must be a terminal (a pipe or
// a file is refused with exit status 1 before anything else happens), and that terminal is put
// in raw mode while the process runs, so that keystrokes (^C included) go to the container's pty
// as typed and its bytes come out as they are. Raw is cfmakeraw's, which stty's `raw -echo` is;
// node's setRawMode keeps output processing on, which would double the pty's line ends. The
// window size the container's terminal follows is that of our stdout, when it is a terminal.
import { isatty, type WriteStream } from 'node:tty';

const notATerminalMessage = 'the input device is not a TTY';

/** Prints docker's refusal and gives true when -it (in the foreground) has no terminal on stdin. */
export function refuseNonTerminalInput(flags: { interactive?: boolean; tty?: boolean; detach?: boolean }): boolean {
  if (flags.interactive !== true || flags.tty !== true || flags.detach === true || isatty(0)) return false;
  process.stderr.write(`${notATerminalMessage}\n`);
  process.exitCode = 1;
  return true;
}

/** Our terminal's raw mode: entered once the container (or exec) exists, left at the end. */
export interface RawTerminal {
  enter(): void;
  restore(): void;
}

/**
 * With -it, our terminal's raw mode, as docker enters it: after the create (a pull before it can
 * still be interrupted with ^C), and left again at the end or when the process exits. stty runs
 * on our stdin; node:child_process is loaded only here, off every other command's start path.
 */
export async function rawTerminal(flags: { interactive?: boolean; tty?: boolean }): Promise<RawTerminal> {
  if (flags.interactive !== true || flags.tty !== true) return { enter: () => undefined, restore: () => undefined };
  const { execFileSync } = await import('node:child_process');
  const stty = (args: string[]): string => execFileSync('stty', args, { stdio: ['inherit', 'pipe', 'pipe'], encoding: 'utf8' });
  let saved: string | undefined;
  const restore = (): void => {
    if (saved === undefined) return;
    process.off('exit', restore);
    stty([saved]);
    saved = undefined;
  };
  const enter = (): void => {
    saved = stty(['-g']).trim();
    stty(['raw', '-echo']);
    process.once('exit', restore);
  };
  return { enter, restore };
}

/** With -t: our terminal, whose size the container's follows; none when stdout is not one. */
export function followedWindow(flags: { tty?: boolean }): WriteStream | undefined {
  return flags.tty === true && process.stdout.isTTY ? process.stdout : undefined;
}
