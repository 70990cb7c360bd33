// The container's output as docker's json-file log driver keeps it, in
// `<root>/containers/<id>/<id>-json.log`: one JSON object per line, {"log","stream","time"},
// each `log` a whole line with its newline. Every run writes it (an attached one while it also
// streams to its client, a detached one only to the file), so `logs` reads the same thing
// however the container was started.
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { join } from 'node:path';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  log: string;
  stream: LogStream;
  time: string;
}

export function logPathOf(containerDir: string, id: string): string {
  return join(containerDir, `${id}-json.log`);
}

/** RFC 3339 with nanoseconds, as Go's time.RFC3339Nano prints UTC (trailing zeros dropped). */
export function rfc3339Nano(date: Date, extraNanos = 0): string {
  const fraction = `${String(date.getUTCMilliseconds()).padStart(3, '0')}${String(extraNanos).padStart(6, '0')}`.replace(/0+$/, '');
  return `${date.toISOString().slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z`;
}

/** Now, with sub-millisecond digits from the monotonic clock so entries keep their order. */
function timestamp(): string {
  return rfc3339Nano(new Date(), Number(process.hrtime.bigint() % 1_000_000n));
}

/** Appends entries to the log file; partial lines wait for their newline (or the end). */
export class JsonFileLog {
  private readonly file: WriteStream;
  private readonly pending: Record<LogStream, string> = { stdout: '', stderr: '' };
  private readonly decoders: Record<LogStream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly tees: Writable[] = [];

  constructor(path: string) {
    this.file = createWriteStream(path, { flags: 'a' });
  }

  write(stream: LogStream, chunk: Buffer): void {
    const lines = (this.pending[stream] + this.decoders[stream].write(chunk)).split('\n');
    this.pending[stream] = lines.pop() ?? '';
    for (const line of lines) this.append({ log: `${line}\n`, stream, time: timestamp() });
  }

  /** A Writable that copies each chunk into the log, then on to `next` (if any). */
  tee(stream: LogStream, next?: Writable): Writable {
    const tee = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.write(stream, chunk);
        if (next === undefined) done();
        else next.write(chunk, (err) => done(err ?? null));
      },
    });
    this.tees.push(tee);
    return tee;
  }

  /** Flushes what is left without a newline, as docker logs a final partial line. */
  async close(): Promise<void> {
    // Chunks still queued behind a slow reader of `next` are logged before the file ends.
    await Promise.all(this.tees.map((tee) => finished(tee.end()).catch(() => undefined)));
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.pending[stream] + this.decoders[stream].end();
      if (rest !== '') this.append({ log: rest, stream, time: timestamp() });
      this.pending[stream] = '';
    }
    await new Promise<void>((resolve, reject) => this.file.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }

  private append(entry: LogEntry): void {
    this.file.write(`${JSON.stringify(entry)}\n`);
  }
}

/** Entries of the log from byte `offset` on, and the offset after the last whole line. */
export async function readLogEntries(path: string, offset = 0): Promise<{ entries: LogEntry[]; next: number }> {
  let text: Buffer;
  if (offset === 0) {
    text = await readFile(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? Buffer.alloc(0) : Promise.reject(err)));
  } else {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      text = Buffer.alloc(Math.max(0, size - offset));
      await handle.read(text, 0, text.length, offset);
    } finally {
      await handle.close();
    }
  }
  // A line still being written has no newline yet: it is read on the next call.
  const end = text.lastIndexOf(0x0a) + 1;
  const entries = text.subarray(0, end).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LogEntry);
  return { entries, next: offset + end };
}
