// The tasks a pool thread runs (pool.ts): each a named export, each pure CPU and file work.
import { hashFileContents, type FileHashResult, type FileHashTask } from '../contenthash/file-hash.js';
import { deflateChunk as deflate, type DeflatedChunk, type DeflateTask } from '../exporter/deflate-chunk.js';

export function hashFile(task: FileHashTask): Promise<FileHashResult> {
  return hashFileContents(task);
}

export function deflateChunk(task: DeflateTask): DeflatedChunk {
  return deflate(task);
}

// piscina takes a module without a default export for CommonJS and loads it a second way,
// which fails for TypeScript under tsx (tests); a default export keeps it on the ESM path.
export default hashFile;
