// One frame of BuildKit's tty progress display (progressui's ttyDisplay.print): a header with the
// elapsed time and the steps completed of those seen, then a line per started step with its
// duration right-aligned, and below a running step the last lines it printed. Lines stop one
// column short of the width so that a terminal never wraps them, which would break the redraw.
import type { BuildProgress } from '../../../api/build.js';

/** How many of a running step's last output lines show (BuildKit's termHeight). */
export const TAIL_LINES = 6;

/** Where a step stands, as its events told. */
export interface TtyStep {
  name: string;
  started?: number;
  completed?: number;
  cached: boolean;
  error?: string;
  /** The step's last whole output lines, at most TAIL_LINES. */
  tail: string[];
  /** The output line that has not ended yet. */
  partial: string;
}

export function newStep(name: string): TtyStep {
  return { name, cached: false, tail: [], partial: '' };
}

/** What a terminal would leave of a line: the text after its last carriage return, no escapes. */
function visibleText(line: string): string {
  const last = line.replace(/\r+$/, '').split('\r').pop() ?? '';
  return last.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replaceAll('\t', '    ').replace(/[\x00-\x1f\x7f]/g, '');
}

/** Adds what the step printed to its tail, keeping only the last lines. */
export function pushLogs(step: TtyStep, logs: NonNullable<BuildProgress['logs']>): void {
  for (const { data } of logs) {
    const parts = (step.partial + data).split('\n');
    step.partial = parts.pop() ?? '';
    step.tail.push(...parts.map(visibleText));
  }
  step.tail.splice(0, Math.max(0, step.tail.length - TAIL_LINES));
}

/** The mark BuildKit puts before a step's name: how it ended, when not by running through. */
function markOf(step: TtyStep): string {
  if (step.cached) return 'CACHED ';
  if (step.error === undefined) return '';
  // A step stopped because the build was cancelled did not fail on its own.
  return /cancell?ed$/.test(step.error) ? 'CANCELED ' : 'ERROR ';
}

function stepLine(step: TtyStep, started: number, now: number, width: number): string | undefined {
  const seconds = ((step.completed ?? now) - started) / 1000;
  // BuildKit shows durations under 0.05s as 0.0s, so a cached step never reads 0.1s.
  const timer = `${(seconds < 0.05 ? 0 : seconds).toFixed(1)}s`;
  const room = width - ' => '.length - timer.length - 3;
  // Too narrow a terminal to show the step at all, as BuildKit.
  if (room < 12) return undefined;
  const name = `${markOf(step)}${step.name}`.slice(0, room);
  return `${` => ${name}`.padEnd(width - timer.length - 2)} ${timer}`;
}

export interface FrameInput {
  steps: Iterable<TtyStep>;
  /** When the display began, for the header's elapsed time. */
  since: number;
  now: number;
  width: number;
  /** The last frame: every step seen has ended and the header says so. */
  final: boolean;
}

/** The frame's lines, without line ends. */
export function renderFrame({ steps, since, now, width, final }: FrameInput): string[] {
  const body: string[] = [];
  let total = 0;
  let completed = 0;
  for (const step of steps) {
    total++;
    if (step.completed !== undefined) completed++;
    // A step that has not started yet has no time to show; BuildKit leaves it out.
    if (step.started === undefined) continue;
    const line = stepLine(step, step.started, now, width);
    if (line === undefined) continue;
    body.push(line);
    if (step.completed !== undefined) continue;
    const tail = step.partial === '' ? step.tail : [...step.tail, visibleText(step.partial)];
    for (const text of tail.slice(-TAIL_LINES)) if (text !== '') body.push(` => => # ${text}`.slice(0, width - 1));
  }
  const finished = final && completed > 0 && completed === total ? ' FINISHED' : '';
  return [`[+] Building ${((now - since) / 1000).toFixed(1)}s (${completed}/${total})${finished}`, ...body];
}
