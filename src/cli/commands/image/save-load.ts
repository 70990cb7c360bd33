// `kiln save` and `kiln load`, with docker's output and its refusal to write a tar to a terminal.
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { isDirectory, loadImages, loadLayout, saveImages, saveLayout } from '../../../daemon/images/archive.js';
import { familiarName, parseReference } from '../../../registry/index.js';
import { flagError } from '../../report.js';
import { withEngine } from './context.js';

export interface SaveFlags {
  output?: string;
  format: 'docker' | 'oci' | 'oci-layout';
}

export interface LoadFlags {
  input?: string;
  quiet?: boolean;
}

export async function runSave(command: Command, names: string[], flags: SaveFlags): Promise<void> {
  if (flags.format === 'oci-layout') {
    if (flags.output === undefined) throw flagError('--output', 'an OCI layout is a directory: name it with -o');
    const dir = flags.output;
    await withEngine(command, (engine) => saveLayout(engine, names, dir));
    return;
  }
  const format = flags.format;
  if (flags.output === undefined) {
    if (process.stdout.isTTY === true) {
      throw flagError('--output', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    await withEngine(command, (engine) => saveImages(engine, names, process.stdout, format));
    return;
  }
  // Written beside the destination and renamed over it at the end, so a failed save never
  // leaves a truncated archive under the name a later `load` would trust.
  const output = flags.output;
  const partial = `${output}.kiln-partial-${process.pid}`;
  try {
    await withEngine(command, async (engine) => {
      // Opened up front so that a bad path fails here, as an error naming it, before any work.
      const handle = await open(partial, 'w').catch((err: unknown) => {
        throw flagError('--output', `cannot write ${output}: ${(err as Error).message}`);
      });
      const file = handle.createWriteStream();
      await saveImages(engine, names, file, format);
      await finished(file);
    });
    await rename(partial, output);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

export async function runLoad(command: Command, flags: LoadFlags): Promise<void> {
  if (flags.input === undefined && process.stdin.isTTY === true) {
    throw flagError('--input', 'requested load from stdin, but stdin is empty', 'pass -i FILE or pipe an archive in');
  }
  const input = flags.input;
  const results = await withEngine(command, async (engine) => {
    if (input !== undefined && (await isDirectory(input))) return loadLayout(engine, input);
    return loadImages(engine, input === undefined ? process.stdin : createReadStream(input));
  });
  for (const result of results) {
    if (result.names.length === 0) process.stdout.write(`Loaded image ID: ${result.id}\n`);
    for (const name of result.names) process.stdout.write(`Loaded image: ${familiarName(parseReference(name))}\n`);
  }
}
