// BuildKit's plain progress display, for CI logs: a number per step in the order steps first
// report (`#3 [2/4] RUN make`), then how each ended (`#3 DONE 0.3s`, `#3 CACHED`, `#3 ERROR: ...`).
import type { BuildProgress } from '../../../api/build.js';

export function plainProgress(write: (line: string) => void): (event: BuildProgress) => void {
  const numbers = new Map<string, number>();
  return (event) => {
    let number = numbers.get(event.digest);
    if (number === undefined) {
      number = numbers.size + 1;
      numbers.set(event.digest, number);
      write(`#${number} ${event.name}`);
    }
    if (event.cached === true) write(`#${number} CACHED`);
    else if (event.error !== undefined) write(`#${number} ERROR: ${event.error}`);
    else if (event.completed !== undefined && event.started !== undefined) write(`#${number} DONE ${((event.completed - event.started) / 1000).toFixed(1)}s`);
  };
}
