// `kiln image inspect`: docker's JSON array of image objects (the fields scripts read), or a
// Go-template subset per image with --format.
import type { Command } from 'commander';
import { findImage, repoDigests, type LocalImage } from '../../../daemon/images/local.js';
import { familiarName, parseReference } from '../../../registry/index.js';
import { KilnError } from '../../../util/errors.js';
import { renderTemplate } from '../../template.js';
import { withEngine } from './context.js';

export async function runInspect(command: Command, names: string[], flags: { format?: string }): Promise<void> {
  const found: unknown[] = [];
  const missing: string[] = [];
  await withEngine(command, async (engine) => {
    for (const name of names) {
      try {
        found.push(inspectObject((await findImage(engine, name)).image));
      } catch (err) {
        if (!(err instanceof KilnError && err.code === 'NOT_FOUND')) throw err;
        missing.push(name);
      }
    }
  });
  // docker prints what it found, then fails for the rest.
  if (flags.format === undefined) process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  else for (const obj of found) process.stdout.write(`${renderTemplate(flags.format, obj)}\n`);
  if (missing.length > 0) throw new KilnError('NOT_FOUND', `No such image: ${missing.join(', ')}`);
}

function inspectObject(image: LocalImage): Record<string, unknown> {
  const { config } = image;
  const size = image.manifest.layers.reduce((sum, l) => sum + l.size, image.configDesc.size);
  return {
    Id: image.id,
    RepoTags: image.records.flatMap((r) => {
      const ref = parseReference(r.name);
      return ref.tag === undefined ? [] : [familiarName(ref)];
    }),
    RepoDigests: repoDigests(image).map((d) => {
      const [repo = '', digest = ''] = d.split('@');
      return `${familiarName(parseReference(repo))}@${digest}`;
    }),
    Parent: '',
    Comment: config.history?.at(-1)?.comment ?? '',
    Created: config.created ?? '',
    DockerVersion: '',
    Author: config.author ?? '',
    Config: config.config ?? {},
    Architecture: config.architecture,
    ...(config.variant === undefined ? {} : { Variant: config.variant }),
    Os: config.os,
    Size: size,
    RootFS: { Type: config.rootfs.type, Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: image.records[0]?.updatedAt ?? '' },
    Descriptor: image.manifestDesc,
  };
}
