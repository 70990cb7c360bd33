// `kiln pull` and `kiln push`, printing what docker prints without a terminal.
import type { Command } from 'commander';
import { pullImage } from '../../../daemon/images/pull.js';
import { pushImage } from '../../../daemon/images/push.js';
import { parsePlatform } from '../../../image/platform-parse.js';
import { familiarName, formatReference, parseNormalizedReference } from '../../../registry/index.js';
import type { ImageEngine } from '../../../daemon/images/engine.js';
import { KilnError } from '../../../util/errors.js';
import { flagError } from '../../report.js';
import { transferPrinter } from '../../progress.js';
import { withEngine } from './context.js';

export interface PullFlags {
  platform?: string;
  quiet?: boolean;
}

export async function runPull(command: Command, text: string, flags: PullFlags): Promise<void> {
  const out = (line: string): void => {
    if (flags.quiet !== true) process.stdout.write(line);
  };
  const given = parseNormalizedReference(text);
  if (given.tag === undefined && given.digest === undefined) out('Using default tag: latest\n');
  const platform = flags.platform === undefined ? undefined : platformFlag(flags.platform);
  await withEngine(command, async (engine) => {
    const tagOrDigest = given.digest ?? given.tag ?? 'latest';
    const result = await pullImage(engine, text, {
      ...(platform === undefined ? {} : { platform }),
      onResolved: () => out(`${tagOrDigest}: Pulling from ${given.path}\n`),
      onEvent: transferPrinter('pull', out),
    });
    out(`Digest: ${result.digest}\n`);
    const familiar = familiarName(result.ref);
    out(result.upToDate ? `Status: Image is up to date for ${familiar}\n` : `Status: Downloaded newer image for ${familiar}\n`);
    process.stdout.write(`${formatReference(result.ref)}\n`);
  });
}

export async function runPush(command: Command, text: string, flags: { quiet?: boolean; allTags?: boolean }): Promise<void> {
  const out = (line: string): void => {
    if (flags.quiet !== true) process.stdout.write(line);
  };
  const given = parseNormalizedReference(text);
  if (flags.allTags === true && (given.tag !== undefined || given.digest !== undefined)) {
    throw flagError('--all-tags', `tag can't be used with --all-tags/-a: ${text}`);
  }
  await withEngine(command, async (engine) => {
    const repository = `${given.domain}/${given.path}`;
    const names = flags.allTags === true ? await localTags(engine, repository) : [text];
    if (names.length === 0) throw new KilnError('NOT_FOUND', `An image does not exist locally with the tag: ${familiarName(given)}`);
    out(`The push refers to repository [${repository}]\n`);
    for (const name of names) {
      const result = await pushImage(engine, name, { onEvent: transferPrinter('push', out) });
      const tag = result.ref.tag ?? result.ref.digest ?? 'latest';
      out(`${tag}: digest: ${result.root.digest} size: ${result.root.size}\n`);
      if (flags.quiet === true) process.stdout.write(`${repository}:${tag}\n`);
    }
  });
}

/** Every tagged local name of a repository, for `push --all-tags`. */
async function localTags(engine: ImageEngine, repository: string): Promise<string[]> {
  const records = await engine.images.list((r) => r.name.startsWith(`${repository}:`));
  return records.map((r) => r.name);
}

function platformFlag(value: string): ReturnType<typeof parsePlatform> {
  try {
    return parsePlatform(value);
  } catch (err) {
    throw flagError('--platform', (err as Error).message);
  }
}
