// Small tars for tests: built from a list of entries, and read back into a list of entries.
// Tests hold these in memory; the code under test streams.
import { Readable } from 'node:stream';
import { extract, pack, type Header } from 'tar-stream';

export interface TarFile {
  name: string;
  /** File content; absent for directories and links. */
  data?: Buffer | string;
  type?: Header['type'];
  linkname?: string;
}

export async function makeTar(files: TarFile[]): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of packer) chunks.push(chunk as Buffer);
  })();
  for (const file of files) {
    const header: Partial<Header> & Pick<Header, 'name'> = { name: file.name, type: file.type ?? 'file', mtime: new Date(0) };
    if (file.linkname !== undefined) header.linkname = file.linkname;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (file.data === undefined) packer.entry(header, done);
      else packer.entry(header, file.data, done);
    });
  }
  packer.finalize();
  await collected;
  return Buffer.concat(chunks);
}

export interface ReadEntry {
  header: Header;
  data: Buffer;
}

export async function readTar(tar: Buffer): Promise<ReadEntry[]> {
  const extractor = extract();
  Readable.from([tar]).pipe(extractor);
  const entries: ReadEntry[] = [];
  for await (const entry of extractor) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ header: entry.header, data: Buffer.concat(chunks) });
  }
  return entries;
}

export function entryData(entries: ReadEntry[], name: string): Buffer {
  const found = entries.find((e) => e.header.name === name);
  if (found === undefined) throw new Error(`no entry ${name} in the tar`);
  return found.data;
}
