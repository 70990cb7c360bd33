// A RUN step's output: every byte goes to the step's log file (kept after the build, so a
// failing step's whole output can be read), its text goes to progress in batches (a process
// that prints a line at a time must not cost an event per line), and its last lines are kept
// for the step's error.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import type { Digest } from '../content/index.js';
import type { VertexProgress } from '../solver/index.js';

/** Lines of a failed step's output quoted in its error (BuildKit shows 10). */
const tailLines = 10;
/** Output is sent to progress at least this often while a step prints (ms)... */
const flushInterval = 100;
/** ...and at once when this much text waits. */
const flushSize = 32 * 1024;
/** A step's log file stops growing here: the disk is not the place for endless output either. */
export const stepLogFileLimit = 64 * 1024 * 1024;
/** Step logs kept: the newest, by the time they were last written. */
export const stepLogsKept = 256;

export function stepLogsDir(workDir: string): string {
  return join(workDir, 'logs');
}

/** Where the log of the step of `vertex` is kept. */
export function stepLogPath(workDir: string, vertex: Digest): string {
  return join(stepLogsDir(workDir), `${vertex.replace(/^sha256:/, '')}.log`);
}

/** Removes the oldest step logs beyond {@link stepLogsKept}; a log that goes meanwhile is fine. */
export async function pruneStepLogs(dir: string, keep = stepLogsKept): Promise<void> {
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.log'));
  if (names.length <= keep) return;
  const dated = await Promise.all(names.map(async (name) => ({ name, mtime: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.mtime - a.mtime);
  await Promise.all(dated.slice(keep).map(({ name }) => rm(join(dir, name), { force: true })));
}

export class StepOutput {
  private readonly file: WriteStream;
  private written = 0;
  private tail = '';
  private pending: { stream: 1 | 2; text: string }[] = [];
  private pendingSize = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(readonly path: string, private readonly progress: VertexProgress) {
    this.file = createWriteStream(path);
    // A full disk loses the log, not the step.
    this.file.on('error', () => undefined);
  }

  static async open(workDir: string, progress: VertexProgress): Promise<StepOutput> {
    const dir = stepLogsDir(workDir);
    await mkdir(dir, { recursive: true });
    await pruneStepLogs(dir, stepLogsKept - 1);
    return new StepOutput(stepLogPath(workDir, progress.digest), progress);
  }

  /** The writable for one of the process's streams (1: stdout, 2: stderr). */
  stream(stream: 1 | 2): Writable {
    const decoder = new StringDecoder('utf8');
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.take(stream, chunk, decoder.write(chunk));
        done();
      },
      final: (done) => {
        this.take(stream, Buffer.alloc(0), decoder.end());
        done();
      },
    });
  }

  /** The last lines printed, for the step's error. */
  lines(): string[] {
    const text = this.tail.trimEnd();
    return text === '' ? [] : text.split('\n').slice(-tailLines);
  }

  /** Sends what waits to progress and closes the log file. */
  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => this.file.end(resolve));
  }

  private take(stream: 1 | 2, bytes: Buffer, text: string): void {
    if (this.written < stepLogFileLimit && bytes.length > 0) {
      const room = stepLogFileLimit - this.written;
      this.file.write(bytes.length > room ? bytes.subarray(0, room) : bytes);
      this.written += Math.min(room, bytes.length);
    }
    if (text === '') return;
    this.tail = (this.tail + text).slice(-8192);
    const last = this.pending.at(-1);
    if (last !== undefined && last.stream === stream) last.text += text;
    else this.pending.push({ stream, text });
    this.pendingSize += text.length;
    if (this.pendingSize >= flushSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), flushInterval);
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    this.pending = [];
    this.pendingSize = 0;
    for (const { stream, text } of pending) this.progress.log(stream, text);
  }
}
