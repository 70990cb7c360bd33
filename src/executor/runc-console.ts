// Starting runc in the foreground, with or without a terminal for the container's process.
//
// With process.terminal set and no --console-socket, runc (1.1, tty.go) makes the pty itself and
// copies between its master and runc's own stdin/stdout. It also needs a "host console": the
// first of its stderr, stdout or stdin that is a terminal, else /dev/tty. That one is put in
// raw mode, and SIGWINCH resizes the container's pty from it. Nothing here is a terminal (the
// daemon runs every container), so util-linux script(1) gives runc a pty of its own as stdio and
// copies it to plain pipes: the client's keystrokes go in and the pty's bytes come out as they
// are, and the window size is set on that pty (console-size.ts). runc's stderr is routed around
// the pty (to the last descriptor) so its own error text never lands in the container's output.
// script makes runc a session leader, so a signal meant for whoever started it does not reach
// runc (which would reset its console and exit 0).
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { sttySizeArgs, type ConsoleSize } from './console-size.js';

export const runcBinary = 'runc';

export interface RuncSpawnOptions {
  /** `pipe`: written by the caller. */
  stdin: 'pipe' | 'ignore';
  /** `ignore` for detached work nobody reads. */
  output: 'pipe' | 'ignore';
  /** Set when the container's process has a terminal. */
  terminal?: boolean;
  /** The terminal's window size, set before runc starts and followed after. */
  consoleSize?: ConsoleSize;
  /** Open descriptors passed on as 3, 4, …, e.g. the file runc reads an exec's process from. */
  extraFds?: number[];
  /** Starts runc in a session of its own, to outlive this process. */
  detached?: boolean;
}

export interface RuncChild {
  child: ChildProcess;
  /** runc's own stderr (under script(1) not the pty's). */
  stderr: Readable | null;
  /** Signals runc itself, which forwards the signal to the container's process. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** The parent pid field of /proc/<pid>/stat, after the parenthesised command name. */
async function parentOf(pid: string): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  const ppid = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  return ppid === undefined ? undefined : Number(ppid);
}

/**
 * runc under script(1) is script's only child (sh exec'd it), found by its parent pid (not
 * every kernel has /proc/<pid>/task/<pid>/children); undefined once it has gone.
 */
async function scriptChild(script: ChildProcess): Promise<number | undefined> {
  const pid = script.pid;
  if (pid === undefined) return undefined;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const parents = await Promise.all(pids.map(parentOf));
  const at = parents.indexOf(pid);
  return at < 0 ? undefined : Number(pids[at]);
}

/** script itself would answer a SIGTERM by hanging up the pty, so the signal goes to runc directly. */
async function killScriptChild(script: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const child = await scriptChild(script);
  if (child === undefined) return;
  try {
    process.kill(child, signal);
  } catch {
    // Gone already: runc has just exited.
  }
}

const ptyPollMs = 10;

/**
 * The pty script gave runc (its stdin), once script's child is runc rather than the shell still
 * setting the size it started with; undefined when runc has already ended.
 */
async function runcPty(script: ChildProcess): Promise<string | undefined> {
  while (script.exitCode === null && script.signalCode === null) {
    const child = await scriptChild(script);
    const command = child === undefined ? '' : await readFile(`/proc/${child}/comm`, 'utf8').catch(() => '');
    if (command.trim() === runcBinary) return readlink(`/proc/${child}/fd/0`).catch(() => undefined);
    await delay(ptyPollMs);
  }
  return undefined;
}

/** Single-quotes `word` for sh. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

export function spawnRunc(args: string[], options: RuncSpawnOptions): RuncChild {
  const extra = options.extraFds ?? [];
  const detached = options.detached ?? false;
  if (options.terminal !== true) {
    const stdio: StdioOptions = [options.stdin, options.output, options.output, ...extra];
    const child = spawn(runcBinary, args, { stdio, detached });
    return { child, stderr: child.stderr, kill: async (signal) => void child.kill(signal) };
  }
  const stderrFd = 3 + extra.length;
  // The pty is raw before runc starts: runc makes it raw itself only once the process runs, and
  // output that came first would have its line ends doubled, input typed first echoed.
  const size = options.consoleSize?.current;
  const stty = ['raw', '-echo', ...(size === undefined ? [] : sttySizeArgs(size))].join(' ');
  const command = `stty ${stty}; exec ${[runcBinary, ...args].map(shellQuote).join(' ')} 2>&${stderrFd} ${stderrFd}>&-`;
  // -e: script exits with runc's status; -q: no start and end banners; /dev/null: no typescript file.
  // script answers the end of its input by typing an end-of-file character into the pty, which
  // the container would read: without input, its stdin is a pipe nobody writes, closed at the end.
  const stdin = options.stdin === 'pipe' ? 'pipe' : detached ? 'ignore' : 'pipe';
  const stdio: StdioOptions = [stdin, options.output, 'ignore', ...extra, options.output];
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio, detached, env: { ...process.env, SHELL: '/bin/sh' } });
  if (options.stdin !== 'pipe') child.once('exit', () => child.stdin?.destroy());
  options.consoleSize?.started(() => runcPty(child));
  return { child, stderr: (child.stdio[stderrFd] as Readable | null | undefined) ?? null, kill: (signal) => killScriptChild(child, signal) };
}
