// BuildKit's plain progress display, for CI logs: a number per step in the order steps first
// report (`#3 [2/4] RUN make`), its output line by line (`#3 0.312 hello`), then how it ended
// (`#3 DONE 0.3s`, `#3 CACHED`, `#3 ERROR: ...`).
import type { BuildProgress } from '../../../api/build.js';
import { StepLines } from './step-logs.js';

interface PlainStep {
  number: number;
  started: number;
  lines: StepLines;
}

export function plainProgress(write: (line: string) => void): (event: BuildProgress) => void {
  const steps = new Map<string, PlainStep>();
  return (event) => {
    let step = steps.get(event.digest);
    if (step === undefined) {
      step = { number: steps.size + 1, started: event.started ?? Date.now(), lines: new StepLines() };
      steps.set(event.digest, step);
      write(`#${step.number} ${event.name}`);
    }
    const number = step.number;
    if (event.started !== undefined) step.started = event.started;
    // Why it runs, once, as it starts (kiln's own line: BuildKit does not say).
    if (event.reason !== undefined && event.started !== undefined && event.completed === undefined) {
      const cause = event.causedBy === undefined ? undefined : steps.get(event.causedBy)?.number;
      write(`#${number} not cached: ${event.reason}${cause === undefined ? '' : ` (#${cause})`}`);
    }
    for (const line of step.lines.push(event.logs ?? [], step.started)) write(`#${number} ${line}`);
    if (event.completed !== undefined) for (const line of step.lines.end(step.started)) write(`#${number} ${line}`);
    if (event.cached === true) write(`#${number} CACHED`);
    else if (event.error !== undefined) write(`#${number} ERROR: ${event.error}`);
    else if (event.completed !== undefined && event.started !== undefined) write(`#${number} DONE ${((event.completed - event.started) / 1000).toFixed(1)}s`);
  };
}
