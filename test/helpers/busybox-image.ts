// The base image of kiln's tests, built offline from Debian's busybox-static: one gzip layer
// holding /bin/busybox, its applet symlinks and a minimal /etc, written as an OCI image
// layout. Every input that could vary between runs (mtimes, owners, entry order, gzip
// header) is pinned, so the same busybox binary always yields the same digests, as a
// SOURCE_DATE_EPOCH=0 build would.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Hash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { pack, type Header, type Pack } from 'tar-stream';
import { digestOf, newDigester, type Digest } from '../../src/content/index.js';
import {
  hostPlatform, MediaTypes, toOCIPlatform, type ImageConfig, type ImageIndex, type ImageManifest,
} from '../../src/image/index.js';
import { KilnError } from '../../src/util/errors.js';
import { writeBlob, writeJsonBlob, writeLayoutIndex } from './oci-layout.js';

export interface BusyboxImage {
  layoutDir: string;
  index: ImageIndex;
  manifestDigest: Digest;
  configDigest: Digest;
  layerDigest: Digest;
  diffId: Digest;
}

export interface BusyboxImageOptions {
  /** The `org.opencontainers.image.ref.name` of the image in index.json; default `latest`. */
  tag?: string;
  /** Path of a statically linked busybox; default /bin/busybox. */
  busybox?: string;
}

const epoch = new Date(0);
const created = epoch.toISOString().replace('.000Z', 'Z');

/** Applets linked into /bin when the binary provides them; tests rely on the first rows. */
const wantedApplets = [
  'sh', 'ls', 'cat', 'echo', 'true', 'false', 'sleep', 'env', 'id', 'wget', 'mkdir', 'rm', 'touch',
  'cp', 'mv', 'ln', 'chmod', 'chown', 'pwd', 'grep', 'sed', 'awk', 'head', 'tail', 'wc', 'sort',
  'uniq', 'test', 'printf', 'hostname', 'whoami', 'uname', 'date', 'find', 'xargs', 'tar', 'gzip',
  'ps', 'kill', 'basename', 'dirname', 'readlink', 'stat', 'du', 'df', 'mktemp',
];

const directories: ReadonlyArray<readonly [string, number]> = [
  ['bin', 0o755], ['dev', 0o755], ['etc', 0o755], ['home', 0o755], ['proc', 0o555], ['root', 0o700],
  ['sys', 0o555], ['tmp', 0o1777], ['usr', 0o755], ['usr/bin', 0o755], ['var', 0o755],
];

const passwd = [
  'root:x:0:0:root:/root:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  'app:x:1000:1000:app:/home/app:/bin/sh',
  '',
].join('\n');

const group = ['root:x:0:', 'nobody:x:65534:', 'app:x:1000:', ''].join('\n');

/** One tar entry; `fromBinary` marks the entry whose bytes are streamed from the binary. */
type RootfsEntry = Partial<Header> & Pick<Header, 'name'> & { content?: string; fromBinary?: true };

async function requireBusybox(path: string): Promise<number> {
  const missing = (cause?: unknown): KilnError =>
    new KilnError('FAILED_PRECONDITION', `the busybox test image needs a static busybox at ${path}`, {
      hint: 'install it with `apt-get install busybox-static`',
      cause,
    });
  const stats = await stat(path).catch((err: unknown) => {
    throw missing(err);
  });
  if (!stats.isFile()) throw missing();
  return stats.size;
}

/** The wanted applets this binary actually has, so no symlink dangles. */
async function availableApplets(busybox: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(busybox, ['--list']);
  const provided = new Set(stdout.split('\n'));
  return wantedApplets.filter((applet) => provided.has(applet));
}

function rootfsEntries(binarySize: number, applets: string[]): RootfsEntry[] {
  const owned = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: epoch };
  const entries: RootfsEntry[] = [
    ...directories.map(([name, mode]): RootfsEntry => ({ ...owned, name, type: 'directory', mode })),
    // The one path not owned by root: the home of the unprivileged `app` user.
    { ...owned, name: 'home/app', type: 'directory', mode: 0o755, uid: 1000, gid: 1000, uname: 'app', gname: 'app' },
    { ...owned, name: 'bin/busybox', type: 'file', mode: 0o755, size: binarySize, fromBinary: true },
    ...applets.map((applet): RootfsEntry => ({
      ...owned, name: `bin/${applet}`, type: 'symlink', mode: 0o777, linkname: 'busybox',
    })),
    { ...owned, name: 'etc/passwd', type: 'file', mode: 0o644, content: passwd },
    { ...owned, name: 'etc/group', type: 'file', mode: 0o644, content: group },
  ];
  // Byte order, not locale order, so the tar is the same on every machine.
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function packEntries(packer: Pack, entries: RootfsEntry[], busybox: string): Promise<void> {
  for (const { content, fromBinary, ...header } of entries) {
    if (fromBinary) {
      // Streamed, not read whole: tar-stream checks the bytes against the header's size.
      await pipeline(createReadStream(busybox), packer.entry(header));
    } else if (content !== undefined) {
      await new Promise<void>((resolve, reject) => {
        packer.entry(header, content, (err) => (err ? reject(err) : resolve()));
      });
    } else {
      packer.entry(header);
    }
  }
  packer.finalize();
}

/** Passes the tar through while hashing it: the layer's diff_id is the uncompressed digest. */
function hashing(hash: Hash) {
  // A tar-stream pack emits Buffers only.
  return async function* (chunks: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks as AsyncIterable<Buffer>) {
      hash.update(chunk);
      yield chunk;
    }
  };
}

/** The gzip stream of the rootfs tar; node's gzip header has mtime 0, so only the level varies. */
async function* gzippedRootfs(entries: RootfsEntry[], busybox: string, diffHash: Hash): AsyncGenerator<Buffer> {
  const packer = pack();
  const filling = packEntries(packer, entries, busybox).catch((err: unknown) => {
    packer.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  const gzip = createGzip({ level: zlibConstants.Z_BEST_COMPRESSION });
  const compressing = pipeline(packer, hashing(diffHash), gzip);
  compressing.catch(() => undefined);
  for await (const chunk of gzip) yield chunk as Buffer;
  await compressing;
  await filling;
}

/** Writes an OCI image layout for linux/<host arch>. Same busybox binary => same digests. */
export async function buildBusyboxImage(layoutDir: string, options: BusyboxImageOptions = {}): Promise<BusyboxImage> {
  const busybox = options.busybox ?? '/bin/busybox';
  const entries = rootfsEntries(await requireBusybox(busybox), await availableApplets(busybox));
  const diffHash = newDigester();
  const layer = await writeBlob(layoutDir, gzippedRootfs(entries, busybox, diffHash));
  const diffId = digestOf(diffHash);

  const platform = toOCIPlatform({ ...hostPlatform(), os: 'linux' });
  const config: ImageConfig = {
    created,
    ...platform,
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: 'kiln test fixture: busybox-static' }],
  };
  const configDescriptor = await writeJsonBlob(layoutDir, MediaTypes.ociConfig, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: configDescriptor,
    layers: [{ mediaType: MediaTypes.ociLayerGzip, digest: layer.digest, size: layer.size }],
  };
  const manifestDescriptor = await writeJsonBlob(layoutDir, MediaTypes.ociManifest, manifest);
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [{
      ...manifestDescriptor,
      platform,
      annotations: { 'org.opencontainers.image.ref.name': options.tag ?? 'latest' },
    }],
  };
  await writeLayoutIndex(layoutDir, index);
  return {
    layoutDir, index, manifestDigest: manifestDescriptor.digest, configDigest: configDescriptor.digest,
    layerDigest: layer.digest, diffId,
  };
}
