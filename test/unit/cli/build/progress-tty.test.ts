// The live tty display of `kiln build`, as BuildKit's: the header, a line per step with its
// duration right-aligned, CACHED and ERROR marks, a running step's last output lines, frames
// redrawn in place on a timer, and the final frame left after done().
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { BuildProgress } from '../../../../src/api/build.js';
import { ttyProgress } from '../../../../src/cli/commands/build/progress-tty.js';

const digestOf = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const ESC = '\x1b';

/** A terminal stream 60 columns wide that keeps what is written, and a settable clock. */
function fakeTerminal(): { stream: { columns: number; write(text: string): boolean }; writes: string[]; clock: { now: number } } {
  const writes: string[] = [];
  return { stream: { columns: 60, write: (text) => writes.push(text) > 0 }, writes, clock: { now: 10_000 } };
}

/** A step line of a 60-column terminal: 59 characters, the time in the last ones. */
const stepLine = (left: string, time: string): string => `${left.padEnd(59 - time.length)}${time}`;

/** A frame's lines as a terminal shows them: control sequences and carriage returns removed. */
function screenLines(frame: string): string[] {
  return frame.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replaceAll('\r', '').split('\n').filter((line) => line !== '');
}

describe('tty progress display', () => {
  let terminal: ReturnType<typeof fakeTerminal>;
  let display: ReturnType<typeof ttyProgress>;
  const event = (n: number, extra: Partial<BuildProgress>): void => display.onEvent({ digest: digestOf(n), name: `[${n}/3] RUN step ${n}`, ...extra });

  beforeEach(() => {
    terminal = fakeTerminal();
    display = ttyProgress(terminal.stream, { now: () => terminal.clock.now, intervalMs: 100 });
  });
  afterEach(() => display.done());

  it('shows the header and a line per started step, times right-aligned to the width', () => {
    event(1, { started: 10_000, completed: 10_000, cached: true });
    event(2, { started: 10_000 });
    event(3, {});
    terminal.clock.now = 11_234;
    display.render();
    assert.deepEqual(screenLines(terminal.writes[0] ?? ''), [
      '[+] Building 1.2s (1/3)',
      stepLine(' => CACHED [1/3] RUN step 1', '0.0s'),
      stepLine(' => [2/3] RUN step 2', '1.2s'),
    ]);
    for (const line of screenLines(terminal.writes[0] ?? '').slice(1)) assert.equal(line.length, 59);
  });

  it('cuts a long name to fit and marks a failed step ERROR', () => {
    event(1, { name: `[1/1] RUN ${'x'.repeat(80)}`, started: 10_000, completed: 12_500, error: 'exit code: 1' });
    display.render();
    const [, line] = screenLines(terminal.writes[0] ?? '');
    assert.equal(line, stepLine(` => ERROR [1/1] RUN ${'x'.repeat(33)}`, '2.5s'));
  });

  it('shows the last six output lines of a running step, and none once it ended', () => {
    event(1, { started: 10_000 });
    event(1, { logs: [{ stream: 1, data: Array.from({ length: 8 }, (_, i) => `line ${i + 1}\n`).join(''), timestamp: 10_100 }] });
    event(1, { logs: [{ stream: 2, data: 'partial\x1b[31m red\x1b[0m', timestamp: 10_200 }] });
    display.render();
    const running = screenLines(terminal.writes[0] ?? '');
    assert.deepEqual(running.slice(2), ['line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'partial red'].map((text) => ` => => # ${text}`));
    event(1, { started: 10_000, completed: 10_300 });
    display.render();
    assert.deepEqual(screenLines(terminal.writes[1] ?? '').length, 2);
  });

  it('moves the cursor up over the last frame and erases the lines it rewrites', () => {
    event(1, { started: 10_000 });
    event(1, { logs: [{ stream: 1, data: 'a\nb\n', timestamp: 10_100 }] });
    display.render();
    assert.ok(!(terminal.writes[0] ?? '').includes(`${ESC}[4A`));
    event(1, { started: 10_000, completed: 10_200 });
    display.render();
    const second = terminal.writes[1] ?? '';
    assert.ok(second.startsWith(`${ESC}[?25l${ESC}[4A`), JSON.stringify(second));
    assert.ok(second.includes(`\r${ESC}[2K[+] Building`));
    // The two log lines are blanked and the cursor goes back below the shorter frame.
    assert.ok(second.endsWith(`${ESC}[2K\n${ESC}[2K\n${ESC}[2A${ESC}[?25h`), JSON.stringify(second));
  });

  it('draws the final frame once on done(), FINISHED when every step ended', () => {
    event(1, { started: 10_000, completed: 10_400 });
    terminal.clock.now = 13_000;
    display.done();
    display.done();
    display.render();
    assert.equal(terminal.writes.length, 1);
    assert.deepEqual(screenLines(terminal.writes[0] ?? ''), ['[+] Building 3.0s (1/1) FINISHED', stepLine(' => [1/3] RUN step 1', '0.4s')]);
  });

  it('keeps a live frame within the terminal\'s rows, the final frame whole', () => {
    const short = fakeTerminal();
    const shown = ttyProgress({ ...short.stream, rows: 4 }, { now: () => short.clock.now });
    for (const n of [1, 2, 3, 4]) shown.onEvent({ digest: digestOf(n), name: `step ${n}`, started: 10_000 });
    shown.render();
    assert.deepEqual(screenLines(short.writes[0] ?? '').map((line) => line.slice(0, 10)), ['[+] Buildi', ' => step 3', ' => step 4']);
    shown.done();
    assert.equal(screenLines(short.writes[1] ?? '').length, 5);
  });

  it('marks a step stopped by a cancelled build CANCELED', () => {
    event(1, { started: 10_000, completed: 10_100, error: 'the build was cancelled' });
    display.render();
    assert.match(screenLines(terminal.writes[0] ?? '')[1] ?? '', /^ => CANCELED \[1\/3\] RUN step 1 +0\.1s$/);
  });

  it('does not say FINISHED while a step has not ended', () => {
    event(1, { started: 10_000 });
    display.done();
    assert.equal(screenLines(terminal.writes[0] ?? '')[0], '[+] Building 0.0s (0/1)');
  });
});

describe('tty progress timer', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('redraws on its timer at most ten times a second and stops at done()', () => {
    const terminal = fakeTerminal();
    const display = ttyProgress(terminal.stream, { now: () => terminal.clock.now });
    display.onEvent({ digest: digestOf(1), name: 'step', started: 10_000 });
    mock.timers.tick(99);
    assert.equal(terminal.writes.length, 0);
    mock.timers.tick(1);
    assert.equal(terminal.writes.length, 1);
    mock.timers.tick(300);
    assert.equal(terminal.writes.length, 4);
    display.done();
    mock.timers.tick(1000);
    assert.equal(terminal.writes.length, 5);
  });
});
