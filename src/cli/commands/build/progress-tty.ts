// BuildKit's live tty progress display: the frame of tty-frame.ts redrawn in place on a timer,
// at most ten times a second as BuildKit's display limiter allows, and once more when the build
// ends so that its last frame stays on the terminal. Each frame moves the cursor up over the
// one before and erases the lines it rewrites. The cursor is hidden only within a frame's single
// write, as BuildKit does, so no exit (an error, SIGINT, a crash) can leave it hidden.
import type { BuildProgress } from '../../../api/build.js';
import { newStep, pushLogs, renderFrame, type TtyStep } from './tty-frame.js';

/** The part of a terminal's stream the display uses (process.stderr when it is a TTY). */
export interface TtyStream {
  columns?: number;
  rows?: number;
  write(text: string): unknown;
}

export interface TtyProgressOptions {
  /** The clock, for tests; Date.now by default. */
  now?: () => number;
  /** Milliseconds between frames; 100 by default. */
  intervalMs?: number;
}

export interface TtyProgress {
  onEvent(event: BuildProgress): void;
  /** Draws a frame now (the timer does so on its own). */
  render(): void;
  /** Stops the timer and draws the final frame; later calls do nothing. */
  done(): void;
}

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const ERASE_LINE = '\x1b[2K';
const cursorUp = (lines: number): string => `\x1b[${lines}A`;

/**
 * A live frame taller than the terminal could not be redrawn (the cursor cannot move up past the
 * screen's top), so it keeps the header and the newest lines; the final frame shows them all.
 */
function fitHeight(lines: string[], rows: number | undefined): string[] {
  if (rows === undefined || rows < 3 || lines.length < rows) return lines;
  return [...lines.slice(0, 1), ...lines.slice(lines.length - (rows - 2))];
}

function applyEvent(step: TtyStep, event: BuildProgress): void {
  step.name = event.name;
  if (event.started !== undefined) step.started = event.started;
  if (event.cached === true) step.cached = true;
  if (event.error !== undefined) step.error = event.error;
  if (event.logs !== undefined) pushLogs(step, event.logs);
  if (event.completed !== undefined) {
    step.completed = event.completed;
    // An ended step's output no longer shows; the failure report prints a failed one's.
    step.tail = [];
    step.partial = '';
  }
}

export function ttyProgress(stream: TtyStream, options: TtyProgressOptions = {}): TtyProgress {
  const now = options.now ?? Date.now;
  const since = now();
  const steps = new Map<string, TtyStep>();
  let drawn = 0;
  let ended = false;

  const draw = (final: boolean): void => {
    // A stream that knows no width (0 or unset, as under some pseudo-terminals) gets BuildKit's 80.
    const width = stream.columns === undefined || stream.columns <= 0 ? 80 : stream.columns;
    const frame = renderFrame({ steps: steps.values(), since, now: now(), width, final });
    const lines = final ? frame : fitHeight(frame, stream.rows);
    let text = HIDE_CURSOR + (drawn > 0 ? cursorUp(drawn) : '');
    for (const line of lines) text += `\r${ERASE_LINE}${line}\n`;
    // Lines of a taller frame before are blanked, and the cursor returns to below this one.
    const stale = drawn - lines.length;
    if (stale > 0) text += `${ERASE_LINE}\n`.repeat(stale) + cursorUp(stale);
    stream.write(text + SHOW_CURSOR);
    drawn = lines.length;
  };

  const timer = setInterval(() => draw(false), options.intervalMs ?? 100);
  // The display never keeps the CLI running by itself.
  timer.unref();

  return {
    onEvent(event) {
      let step = steps.get(event.digest);
      if (step === undefined) {
        step = newStep(event.name);
        steps.set(event.digest, step);
      }
      applyEvent(step, event);
    },
    render() {
      if (!ended) draw(false);
    },
    done() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      draw(true);
    },
  };
}
