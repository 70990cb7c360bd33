// What a build does with its result once the image is committed (BuildKit's exporters): name it
// in the store and push it (`image`, the default), or write it out as an OCI or docker-archive
// tar or an OCI layout (`oci`, `docker`), or write the result's filesystem as a tar or a
// directory (`tar`, `local`). Everything that can be refused is refused before the build runs.
import { PassThrough, type Writable } from 'node:stream';
import type { BuildOutput } from '../../api/build-output.js';
import { DockerArchiveTarget, OciLayoutTarget } from '../../archive/index.js';
import { StoreImageSource } from '../../content/index.js';
import { writeSnapshotFilesystem, type CommittedImage } from '../../exporter/index.js';
import { copyImage, type ImageTarget } from '../../image/index.js';
import type { RegistryClient } from '../../registry/client.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/reference.js';
import { applyLayer, type OverlaySnapshotter } from '../../snapshot/index.js';
import type { ProgressSink } from '../../solver/index.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { danglingName } from '../images/local.js';
import { writeDestDir, writeDestFile } from './output-dest.js';
import { pushBuiltImage } from './output-push.js';

/** A build's output, checked, with the names it gives the image. */
export interface OutputPlan {
  output: BuildOutput;
  /** Names in the store: the tags, and an image output's own names. */
  storeNames: string[];
  /** Names the image goes by in an archive, or is pushed as. */
  imageNames: string[];
}

function normalized(name: string): string {
  const ref = parseNormalizedReference(name);
  if (ref.digest !== undefined) throw new KilnError('INVALID_ARGUMENT', `--output: invalid name ${name}: a name cannot carry a digest`, { details: { flag: '--output' } });
  return formatReference(withDefaultTag(ref));
}

/** Checks the outputs against the (normalized) tags; default: the image in the store. */
export function planOutput(tags: string[], outputs: BuildOutput[] | undefined): OutputPlan {
  if (outputs !== undefined && outputs.length > 1) {
    throw new KilnError('INVALID_ARGUMENT', '--output: multiple outputs are not supported; give one', { details: { flag: '--output' } });
  }
  const output = outputs?.[0] ?? { type: 'image', names: [], push: false };
  const own = 'names' in output ? output.names.map(normalized) : [];
  const imageNames = [...new Set([...tags, ...own])];
  if (output.type === 'image' && output.push && imageNames.length === 0) {
    throw new KilnError('INVALID_ARGUMENT', 'tag is needed when pushing to registry', { hint: 'name the image with -t NAME[:TAG]', details: { flag: '--push' } });
  }
  return { output, storeNames: output.type === 'image' ? imageNames : tags, imageNames };
}

export interface DeliverOptions {
  image: CommittedImage;
  /** The result's snapshot; undefined for an empty result. */
  snapshot: string | undefined;
  sourceDateEpoch?: Date;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** For --push: the registry client with the request's credentials; default the engine's. */
  registry?: () => Promise<RegistryClient>;
}

/** Carries out `plan` for the committed image; returns the names it gave the image (none for a filesystem output). */
export async function deliverOutput(engine: ImageEngine, snapshotter: OverlaySnapshotter, plan: OutputPlan, options: DeliverOptions): Promise<string[]> {
  const { output } = plan;
  const manifest = options.image.manifest;
  // Without a name, an image output stays as docker keeps one: `<none>`, found by its ID.
  const dangling = output.type === 'image' && plan.storeNames.length === 0;
  for (const name of dangling ? [danglingName(manifest.digest)] : plan.storeNames) await engine.images.put({ name, target: manifest });
  const signalOption = options.signal === undefined ? {} : { signal: options.signal };
  switch (output.type) {
    case 'image':
      if (output.push) {
        for (const name of plan.imageNames) {
          await pushBuiltImage(engine, name, manifest, {
            ...signalOption, ...(options.progress === undefined ? {} : { progress: options.progress }),
            ...(options.registry === undefined ? {} : { registry: options.registry }),
          });
        }
      }
      break;
    case 'docker':
    case 'oci':
      if (output.type === 'oci' && !output.tar) {
        await writeDestDir(output.dest, (dir) => copyInto(engine, new OciLayoutTarget(dir, { names: plan.imageNames }), options), options.signal);
      } else {
        const format = output.type;
        await writeDestFile(output.dest, async (out) => {
          const target = new DockerArchiveTarget(out, { images: [{ root: manifest, names: plan.imageNames }], format });
          await copyInto(engine, target, options);
          await target.close();
        }, options.signal);
      }
      break;
    case 'tar':
      await writeDestFile(output.dest, (out) => filesystemTar(snapshotter, out, options), options.signal);
      break;
    case 'local':
      await writeDestDir(output.dest, (dir) => filesystemDir(snapshotter, dir, options), options.signal);
      break;
  }
  return output.type === 'tar' || output.type === 'local' ? plan.storeNames : plan.imageNames;
}

async function copyInto(engine: ImageEngine, target: ImageTarget, options: DeliverOptions): Promise<void> {
  await copyImage(new StoreImageSource(engine.content), target, options.image.manifest, options.signal === undefined ? {} : { signal: options.signal });
}

async function filesystemTar(snapshotter: OverlaySnapshotter, out: Writable, options: DeliverOptions): Promise<void> {
  await writeSnapshotFilesystem(snapshotter, options.snapshot, out, {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.sourceDateEpoch === undefined ? {} : { sourceDateEpoch: options.sourceDateEpoch }),
  });
}

/** The filesystem tar applied to `dir` as it is written: owners, modes, links and attributes kept. */
async function filesystemDir(snapshotter: OverlaySnapshotter, dir: string, options: DeliverOptions): Promise<void> {
  const tar = new PassThrough();
  // Both sides report a failure; the stream's own 'error' event needs no one.
  tar.on('error', () => undefined);
  const [written, applied] = await Promise.allSettled([
    filesystemTar(snapshotter, tar, options),
    applyLayer(dir, tar, options.signal === undefined ? {} : { signal: options.signal }),
  ]);
  if (written.status === 'rejected') throw written.reason;
  if (applied.status === 'rejected') throw applied.reason;
}
