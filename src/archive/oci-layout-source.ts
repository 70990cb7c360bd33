// Reading an image out of an OCI image layout directory. The layout is checked when opened
// (marker version, index.json shape) so that a wrong path fails with a message about the
// path, not later with a missing blob. Blobs are served as they are on disk: the copier
// verifies every byte while it streams.
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseDigest } from '../content/index.js';
import { parseIndex, type Descriptor, type ImageIndex } from '../image/index.js';
import type { ImageSource } from '../image/transfer.js';
import { KilnError, isKilnError } from '../util/errors.js';
import { entryDisplayName } from './annotations.js';
import { blobFilePath, checkLayoutMarker, indexFile, layoutMarkerFile, readJsonFile } from './layout-files.js';

export interface LayoutImage {
  /** The entry's name annotation, as the layout wrote it (a tag, or a full reference). */
  name?: string;
  desc: Descriptor;
}

export class OciLayoutSource implements ImageSource {
  readonly location: string;

  private constructor(
    private readonly dir: string,
    private readonly index: ImageIndex,
  ) {
    this.location = `oci-layout:${dir}`;
  }

  static async open(dir: string): Promise<OciLayoutSource> {
    const root = resolve(dir);
    checkLayoutMarker(await readLayoutJson(root, layoutMarkerFile), join(root, layoutMarkerFile));
    const indexPath = join(root, indexFile);
    const json = await readLayoutJson(root, indexFile);
    try {
      return new OciLayoutSource(root, parseIndex(JSON.stringify(json)));
    } catch (err) {
      throw new KilnError('INVALID_ARGUMENT', `${indexPath} is not a valid image index: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The images index.json lists, in its order. */
  images(): LayoutImage[] {
    return this.index.manifests.map((desc) => {
      const name = entryDisplayName(desc);
      return name === undefined ? { desc } : { name, desc };
    });
  }

  async fetch(desc: Descriptor): Promise<Readable> {
    const path = blobFilePath(this.dir, parseDigest(desc.digest));
    try {
      const file = await open(path, 'r');
      return file.createReadStream();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new KilnError('NOT_FOUND', `blob ${desc.digest} is missing from ${this.location}: no file ${path}`, {
          hint: 'the layout is incomplete; copy the image into it again',
        });
      }
      throw err;
    }
  }
}

async function readLayoutJson(root: string, name: string): Promise<unknown> {
  const path = join(root, name);
  try {
    return await readJsonFile(path);
  } catch (err) {
    if (isKilnError(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new KilnError('NOT_FOUND', `${root} is not an OCI image layout: ${path} does not exist`, {
        hint: `an OCI image layout is a directory with ${layoutMarkerFile}, ${indexFile} and blobs/`,
      });
    }
    throw err;
  }
}
