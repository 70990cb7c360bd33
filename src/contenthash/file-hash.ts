// A regular file's key: sha256 over its header record followed by its bytes. The same function
// runs inside the hash worker (large files) and, synchronously, on the calling thread (small
// files, where a worker round trip or even the thread pool's open/read/close round trips cost
// more than the read and the hash), so both paths give the same key by construction.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

export interface FileHashTask {
  path: string;
  /** The encoded header record, hashed before the bytes. */
  header: Uint8Array;
  /** The size lstat reported; exactly this many bytes are hashed. */
  size: number;
}

/** `changed` when the file ended before `size`: it was rewritten after it was stat'ed. */
export type FileHashResult = { hex: string } | { changed: true };

const CHUNK = 1 << 20;

export async function hashFileContents(task: FileHashTask): Promise<FileHashResult> {
  const hash = createHash('sha256').update(task.header);
  const file = await open(task.path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(task.size, 1)));
    let done = 0;
    while (done < task.size) {
      const want = Math.min(buffer.length, task.size - done);
      const { bytesRead } = await file.read(buffer, 0, want, done);
      if (bytesRead === 0) return { changed: true };
      hash.update(buffer.subarray(0, bytesRead));
      done += bytesRead;
    }
  } finally {
    await file.close();
  }
  return { hex: hash.digest('hex') };
}

/** hashFileContents for small files: one blocking open/read/close of at most a few pages. */
export function hashFileContentsSync(task: FileHashTask): FileHashResult {
  const hash = createHash('sha256').update(task.header);
  const fd = openSync(task.path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(task.size);
    let done = 0;
    while (done < task.size) {
      const bytesRead = readSync(fd, buffer, done, task.size - done, done);
      if (bytesRead === 0) return { changed: true };
      done += bytesRead;
    }
    hash.update(buffer);
  } finally {
    closeSync(fd);
  }
  return { hex: hash.digest('hex') };
}
