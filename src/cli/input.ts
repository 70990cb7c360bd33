// Reading the files a command names: a path, or `-` for standard input.
import { readFile } from 'node:fs/promises';
import { KilnError } from '../util/errors.js';

export interface InputFile {
  /** Display name used in messages and error locations. */
  name: string;
  text: string;
}

export async function readInputFile(path: string): Promise<InputFile> {
  if (path === '-') return { name: '<stdin>', text: await readStdin() };
  try {
    return { name: path, text: await readFile(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new KilnError('NOT_FOUND', `cannot read ${path}: no such file`, {
        hint: 'pass the Dockerfile path as an argument, or run in the directory that holds it',
      });
    }
    if (code === 'EISDIR') {
      throw new KilnError('INVALID_ARGUMENT', `cannot read ${path}: it is a directory`, {
        hint: `did you mean ${path.replace(/\/$/, '')}/Dockerfile?`,
      });
    }
    throw new KilnError('FAILED_PRECONDITION', `cannot read ${path}: ${(err as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
