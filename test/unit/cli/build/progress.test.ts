// The plain display of step output, the solver's log clipping, and a failed step's block and
// Dockerfile excerpt, as BuildKit prints them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BuildProgress } from '../../../../src/api/build.js';
import { plainProgress } from '../../../../src/cli/commands/build/progress-plain.js';
import { dockerfileExcerpt, failedStepLogs } from '../../../../src/cli/commands/build/step-failure.js';
import { stepSeconds } from '../../../../src/cli/commands/build/step-logs.js';
import type { Digest } from '../../../../src/content/index.js';
import { vertexProgress, type ProgressEvent } from '../../../../src/solver/progress.js';

const digest = `sha256:${'a'.repeat(64)}` as Digest;

describe('plain progress of step output', () => {
  it('prints each line with the seconds since the step started, joining split lines', () => {
    const lines: string[] = [];
    const show = plainProgress((line) => lines.push(line));
    const event = (extra: Partial<BuildProgress>): void => show({ digest, name: '[2/2] RUN echo hi', ...extra });
    event({ started: 1000 });
    event({ logs: [{ stream: 1, data: 'hello\nwor', timestamp: 1312 }] });
    event({ logs: [{ stream: 2, data: 'ld\nno end', timestamp: 1400 }] });
    event({ started: 1000, completed: 1500 });
    assert.deepEqual(lines, ['#1 [2/2] RUN echo hi', '#1 0.312 hello', '#1 0.312 world', '#1 0.400 no end', '#1 DONE 0.5s']);
  });

  it('uses fewer decimals as a step runs longer', () => {
    assert.deepEqual([stepSeconds(312), stepSeconds(12_345), stepSeconds(123_456)], ['0.312', '12.35', '123.5']);
  });
});

describe('vertexProgress', () => {
  it('clips a step\'s output at the limit with BuildKit\'s notice, once', () => {
    const events: ProgressEvent[] = [];
    const fanout = { emit: (event: ProgressEvent) => events.push(event) };
    const progress = vertexProgress(fanout as never, digest, 'step', 2 * 1024 * 1024);
    progress.log(1, 'x'.repeat(2 * 1024 * 1024 - 2));
    progress.log(1, 'abcd');
    progress.log(2, 'more');
    assert.equal(events.length, 2);
    assert.equal(events[1]?.logs?.[0]?.data, 'ab\n[output clipped, log limit 2MiB reached]\n');
    assert.equal(progress.digest, digest);
  });
});

describe('failed step display', () => {
  it('shows the step and its last lines between dashes', () => {
    assert.deepEqual(failedStepLogs('[2/3] RUN false', ['boom']), ['------', ' > [2/3] RUN false:', 'boom', '------']);
  });

  it('marks a one-line instruction with four lines of context, as BuildKit', () => {
    const text = 'FROM busybox\nCOPY a /a\nRUN false\n';
    assert.deepEqual(dockerfileExcerpt('/ctx/Dockerfile', text, { start: { line: 3, column: 1 }, end: { line: 3, column: 10 } }), [
      'Dockerfile:3',
      '--------------------',
      '   1 |     FROM busybox',
      '   2 |     COPY a /a',
      '   3 | >>> RUN false',
      '   4 |     ',
      '--------------------',
    ]);
  });

  it('marks every line of a multi-line instruction with two lines around it', () => {
    const text = ['FROM busybox', 'ENV A=1', 'RUN echo a && \\', '  false', 'ENV B=2', 'ENV C=3', 'ENV D=4'].join('\n');
    assert.deepEqual(dockerfileExcerpt('Dockerfile', text, { start: { line: 3, column: 1 }, end: { line: 4, column: 8 } }), [
      'Dockerfile:3',
      '--------------------',
      '   2 |     ENV A=1',
      '   3 | >>> RUN echo a && \\',
      '   4 | >>>   false',
      '   5 |     ENV B=2',
      '--------------------',
    ]);
  });
});
