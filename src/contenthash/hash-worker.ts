// The piscina task that hashes one large file on a worker thread (see hash-pool.ts).
import { hashFileContents, type FileHashResult, type FileHashTask } from './file-hash.js';

export default function hashFileTask(task: FileHashTask): Promise<FileHashResult> {
  return hashFileContents(task);
}
