// The window size of a container's terminal, following its client's terminal (docker's resize,
// kiln's SIGWINCH forwarding). The terminal runc copies from is the pty script(1) gives it as
// its stdio (runc-console.ts): runc sets the container's own pty to that pty's size once the
// process has started and again on every SIGWINCH, and setting a pty's size sends SIGWINCH to
// its foreground process group, which under script is runc. Node has no ioctl, so stty(1)
// sets the size: in the shell line that starts runc for the size known by then, so that runc's
// first copy is already right, and with `stty -F` on runc's pty for each later one.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface WindowSize {
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
}

const sttyTimeoutMs = 10_000;

/** stty's arguments for `size`. */
export function sttySizeArgs(size: WindowSize): string[] {
  return ['rows', String(size.height), 'cols', String(size.width)];
}

export class ConsoleSize {
  private size: WindowSize | undefined;
  /** Finds the started terminal's pty (undefined once runc has gone); unset before the start. */
  private locate: (() => Promise<string | undefined>) | undefined;
  private pty: Promise<string | undefined> | undefined;
  /** The resizes under way, one after the other: a later size must not be overtaken by an earlier one. */
  private applied: Promise<void> = Promise.resolve();

  constructor(initial?: WindowSize) {
    this.size = initial;
  }

  /** The size the terminal is to have, or has. */
  get current(): WindowSize | undefined {
    return this.size;
  }

  /**
   * Sets the size: on the running terminal, or at its start when it has not started yet. Resolves
   * once it is set; a terminal that has already ended is no failure.
   */
  resize(size: WindowSize): Promise<void> {
    this.size = size;
    const locate = this.locate;
    if (locate === undefined) return this.applied;
    this.applied = this.applied.then(async () => {
      this.pty ??= locate();
      const path = await this.pty;
      if (path !== undefined) await promisify(execFile)('stty', ['-F', path, ...sttySizeArgs(size)], { timeout: sttyTimeoutMs });
    }).catch(() => undefined);
    return this.applied;
  }

  /** For the executor: the terminal has started, and `locate` finds its pty when a resize needs it. */
  started(locate: () => Promise<string | undefined>): void {
    this.locate = locate;
  }
}
