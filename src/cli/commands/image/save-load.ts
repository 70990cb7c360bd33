// `kiln save` and `kiln load` through the daemon, with docker's output and its refusal to write a
// tar to a terminal. A tar streams between this process and the daemon in both directions; an
// OCI layout directory is written or read by the daemon in place (the socket is local), as a
// build's context is.
import type { Command } from 'commander';
import { open, rename, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { LoadResponse } from '../../../api/images.js';
import { familiarName, parseReference } from '../../../registry/reference.js';
import { loadArchive, loadLayout, saveImages, saveLayout } from '../../client/images.js';
import { flagError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';

export interface SaveFlags {
  output?: string;
  format: 'docker' | 'oci' | 'oci-layout';
}

export interface LoadFlags {
  input?: string;
  quiet?: boolean;
}

export async function runSave(command: Command, names: string[], flags: SaveFlags): Promise<void> {
  const address = daemonAddress(command);
  if (flags.format === 'oci-layout') {
    if (flags.output === undefined) throw flagError('--output', 'an OCI layout is a directory: name it with -o');
    await saveLayout(address, { names, path: resolve(flags.output) });
    return;
  }
  const request = { names, format: flags.format };
  if (flags.output === undefined) {
    if (process.stdout.isTTY === true) {
      throw flagError('--output', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    }
    await saveImages(address, request, process.stdout);
    return;
  }
  // Written beside the destination and renamed over it at the end, so a failed save never
  // leaves a truncated archive under the name a later `load` would trust.
  const output = flags.output;
  const partial = `${output}.kiln-partial-${process.pid}`;
  // Opened up front so that a bad path fails here, as an error naming it, before any work.
  const handle = await open(partial, 'w').catch((err: unknown) => {
    throw flagError('--output', `cannot write ${output}: ${(err as Error).message}`);
  });
  const file = handle.createWriteStream();
  // A failed write also fails the save's last write and finished(): seen there, not here.
  file.on('error', () => undefined);
  try {
    await saveImages(address, request, file);
    file.end();
    await finished(file);
    await rename(partial, output);
  } catch (err) {
    file.destroy();
    await rm(partial, { force: true });
    throw err;
  }
}

export async function runLoad(command: Command, flags: LoadFlags): Promise<void> {
  if (flags.input === undefined && process.stdin.isTTY === true) {
    throw flagError('--input', 'requested load from stdin, but stdin is empty', 'pass -i FILE or pipe an archive in');
  }
  const address = daemonAddress(command);
  const input = flags.input;
  let loaded: LoadResponse;
  if (input !== undefined && (await isDirectory(input))) loaded = await loadLayout(address, resolve(input));
  else loaded = await loadArchive(address, input === undefined ? process.stdin : await openInput(input));
  for (const image of loaded.images) {
    if (image.names.length === 0) process.stdout.write(`Loaded image ID: ${image.id}\n`);
    for (const name of image.names) process.stdout.write(`Loaded image: ${familiarName(parseReference(name))}\n`);
  }
}

function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** The archive file, opened before the daemon is asked so that a bad path is the flag's error. */
async function openInput(path: string): Promise<Readable> {
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw flagError('--input', `cannot read ${path}: ${(err as Error).message}`);
  });
  return handle.createReadStream();
}
