// `push`: copy a local image to its registry. Blobs the registry has are skipped after a HEAD;
// blobs another repository of the same registry holds are mounted rather than uploaded; the
// manifest goes last, under the tag, once every blob it names is there.
import { StoreImageSource } from '../../content/image-transfer.js';
import { copyImage } from '../../image/copy.js';
import { isManifest, parseManifest, type Descriptor, type ImageManifest, type TransferEvent } from '../../image/index.js';
import { readDocument } from '../../image/copy-blob.js';
import {
  formatReference, parseNormalizedReference, parseReference, registryHost, repositoryName, withDefaultTag, type Reference,
} from '../../registry/index.js';
import type { RegistryClient } from '../../registry/client.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from './engine.js';
import { repoDigestLabel } from './local.js';

export interface PushOptions {
  /** The client to push with (a request's own credentials); default the engine's. */
  registry?: RegistryClient;
  onEvent?: (event: TransferEvent) => void;
  signal?: AbortSignal;
}

export interface PushResult {
  ref: Reference;
  root: Descriptor;
  uploaded: number;
  skipped: number;
}

export async function pushImage(engine: ImageEngine, text: string, options: PushOptions = {}): Promise<PushResult> {
  const ref = withDefaultTag(parseNormalizedReference(text));
  const name = formatReference(ref);
  const record = await engine.images.get(name);
  if (record === undefined) {
    throw new KilnError('NOT_FOUND', `An image does not exist locally with the tag: ${text}`, { details: { reference: text } });
  }
  const target = (options.registry ?? await engine.registry()).target(ref, { mountFrom: mountCandidates(engine, ref) });
  const result = await copyImage(new StoreImageSource(engine.content), target, record.target, {
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  await rememberRepoDigest(engine, name, `${repositoryName(ref)}@${result.root.digest}`);
  return { ref, root: result.root, uploaded: result.written, skipped: result.skipped };
}

async function rememberRepoDigest(engine: ImageEngine, name: string, repoDigest: string): Promise<void> {
  const record = await engine.images.get(name);
  if (record === undefined) return;
  const recorded = (record.labels?.[repoDigestLabel] ?? '').split(',').filter((s) => s !== '');
  // An unchanged re-push writes nothing locally.
  if (recorded.includes(repoDigest)) return;
  const known = recorded.filter((s) => !s.startsWith(`${repoDigest.split('@')[0]}@`));
  const labels = { ...record.labels, [repoDigestLabel]: [...known, repoDigest].join(',') };
  await engine.images.put({ name, target: record.target, labels });
}

/**
 * For each blob, the repositories on the same registry that should hold it: those of local
 * images named there whose manifest lists the blob (they were pulled from or pushed there). A
 * wrong guess costs one refused mount request. Built once per push, on first use.
 */
function mountCandidates(engine: ImageEngine, ref: Reference): (desc: Descriptor) => Promise<string[]> {
  let table: Promise<Map<string, string[]>> | undefined;
  return async (desc) => {
    table ??= blobRepositories(engine, ref);
    return ((await table).get(desc.digest) ?? []).slice(0, 3);
  };
}

async function blobRepositories(engine: ImageEngine, ref: Reference): Promise<Map<string, string[]>> {
  const host = registryHost(ref);
  const source = new StoreImageSource(engine.content);
  const table = new Map<string, string[]>();
  for (const record of await engine.images.list()) {
    const other = parseReference(record.name);
    if (registryHost(other) !== host || other.path === ref.path || !isManifest(record.target.mediaType)) continue;
    let manifest: ImageManifest;
    try {
      manifest = parseManifest(await readDocument(source, record.target));
    } catch {
      continue; // an unreadable image is no mount source; push itself reports real problems
    }
    for (const blob of [manifest.config, ...manifest.layers]) {
      const repos = table.get(blob.digest) ?? [];
      if (!repos.includes(other.path)) repos.push(other.path);
      table.set(blob.digest, repos);
    }
  }
  return table;
}
