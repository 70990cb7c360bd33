// `--iidfile` and `--metadata-file`, written by the client once the build has succeeded, as
// buildx writes them: the image ID alone (no newline), and a JSON object with the exporter's
// response keys. A filesystem output (tar, local) makes no image to describe, so its
// metadata is an empty object.
import type { BuildOutput } from '../../../api/build-output.js';
import { writeFileAtomic } from '../../../util/atomic-file.js';
import { KilnError } from '../../../util/errors.js';
import type { BuiltImage } from '../../client/build.js';

export type BuildMetadata = Record<string, unknown>;

/** One image's keys; for several targets, each target's under its name, as `buildx bake` writes them. */
export function buildMetadata(result: BuiltImage, outputs: readonly BuildOutput[] | undefined): BuildMetadata {
  if (result.images !== undefined) return Object.fromEntries(result.images.map((image) => [image.target ?? '', imageMetadata(image, outputs)]));
  return imageMetadata(result, outputs);
}

function imageMetadata(result: Omit<BuiltImage, 'images'>, outputs: readonly BuildOutput[] | undefined): BuildMetadata {
  const type = outputs?.[0]?.type ?? 'image';
  if (type === 'tar' || type === 'local' || result.descriptor === undefined) return {};
  return {
    'containerimage.config.digest': result.id,
    'containerimage.descriptor': result.descriptor,
    'containerimage.digest': result.manifest,
    ...(result.names.length === 0 ? {} : { 'image.name': result.names.join(',') }),
  };
}

export interface ResultFiles {
  iidfile?: string;
  metadataFile?: string;
}

async function writeResultFile(flag: string, path: string, data: string): Promise<void> {
  await writeFileAtomic(path, data).catch((err: unknown) => {
    throw new KilnError('FAILED_PRECONDITION', `${flag}: cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`, { details: { flag } });
  });
}

export async function writeResultFiles(files: ResultFiles, result: BuiltImage, outputs: readonly BuildOutput[] | undefined): Promise<void> {
  if (files.iidfile !== undefined) await writeResultFile('--iidfile', files.iidfile, result.id);
  if (files.metadataFile !== undefined) await writeResultFile('--metadata-file', files.metadataFile, `${JSON.stringify(buildMetadata(result, outputs), null, 2)}\n`);
}
