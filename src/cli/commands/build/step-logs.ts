// A step's output as BuildKit's displays show it: whole lines, each stamped with the seconds
// since the step started (`0.312 hello`: 3 decimals under 10s, 2 under 100s, then 1). A line
// that has not ended yet waits for the rest of it or for the step's end.
import type { BuildProgress } from '../../../api/build.js';

export function stepSeconds(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return seconds.toFixed(seconds < 10 ? 3 : seconds < 100 ? 2 : 1);
}

export class StepLines {
  private partial: { text: string; timestamp: number } | undefined;

  /** The whole lines `logs` completes, stamped relative to `started`. */
  push(logs: NonNullable<BuildProgress['logs']>, started: number): string[] {
    const lines: string[] = [];
    for (const { data, timestamp } of logs) {
      const parts = data.split('\n');
      const rest = parts.pop() ?? '';
      for (const part of parts) {
        const line = this.partial === undefined ? { text: part, timestamp } : { text: this.partial.text + part, timestamp: this.partial.timestamp };
        this.partial = undefined;
        lines.push(`${stepSeconds(line.timestamp - started)} ${line.text.replace(/\r$/, '')}`);
      }
      if (rest !== '') this.partial = this.partial === undefined ? { text: rest, timestamp } : { text: this.partial.text + rest, timestamp: this.partial.timestamp };
    }
    return lines;
  }

  /** The unfinished line, when the step ends. */
  end(started: number): string[] {
    const last = this.partial;
    this.partial = undefined;
    return last === undefined ? [] : [`${stepSeconds(last.timestamp - started)} ${last.text}`];
  }
}
