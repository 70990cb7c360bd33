// A line of the build's progress for work that is no step of the Dockerfile (pushing, importing
// and exporting a cache), shown as BuildKit shows its exporter's lines: started when made,
// ended once, with an error when it failed. Keyed by its name and what it is about (the image
// pushed), so its events join up and two images' lines stay apart.
import { digestBytes, type Digest } from '../../content/index.js';
import type { ProgressSink } from '../../solver/index.js';

export class ProgressStep {
  private readonly digest: Digest;
  private readonly started = Date.now();
  private ended = false;

  constructor(private readonly progress: ProgressSink | undefined, private readonly name: string, subject = '') {
    this.digest = digestBytes(`kiln.step ${name}\0${subject}`);
    progress?.({ type: 'vertex', digest: this.digest, name, started: this.started });
  }

  /** A line of output under the step (what an export uploaded). */
  log(line: string): void {
    this.progress?.({ type: 'vertex', digest: this.digest, name: this.name, started: this.started, logs: [{ stream: 1, data: `${line}\n`, timestamp: Date.now() }] });
  }

  end(error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.progress?.({
      type: 'vertex', digest: this.digest, name: this.name, started: this.started, completed: Date.now(),
      ...(error === undefined ? {} : { error }),
    });
  }
}
