// `kiln pull` and `kiln push`, printing what docker prints without a terminal.
import type { Command } from 'commander';
import { pullImage } from '../../../daemon/images/pull.js';
import { pushImage } from '../../../daemon/images/push.js';
import { parsePlatform } from '../../../image/platform-parse.js';
import { familiarName, formatReference, parseNormalizedReference } from '../../../registry/index.js';
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
    out(`${tagOrDigest}: Pulling from ${given.path}\n`);
    const result = await pullImage(engine, text, {
      ...(platform === undefined ? {} : { platform }),
      onEvent: transferPrinter('pull', out),
    });
    out(`Digest: ${result.digest}\n`);
    const familiar = familiarName(result.ref);
    out(result.upToDate ? `Status: Image is up to date for ${familiar}\n` : `Status: Downloaded newer image for ${familiar}\n`);
    process.stdout.write(`${formatReference(result.ref)}\n`);
  });
}

export async function runPush(command: Command, text: string, flags: { quiet?: boolean }): Promise<void> {
  const out = (line: string): void => {
    if (flags.quiet !== true) process.stdout.write(line);
  };
  const given = parseNormalizedReference(text);
  await withEngine(command, async (engine) => {
    out(`The push refers to repository [${given.domain}/${given.path}]\n`);
    const result = await pushImage(engine, text, { onEvent: transferPrinter('push', out) });
    const tag = result.ref.tag ?? result.ref.digest ?? 'latest';
    out(`${tag}: digest: ${result.root.digest} size: ${result.root.size}\n`);
    if (flags.quiet === true) process.stdout.write(`${given.domain}/${given.path}:${tag}\n`);
  });
}

function platformFlag(value: string): ReturnType<typeof parsePlatform> {
  try {
    return parsePlatform(value);
  } catch (err) {
    throw flagError('--platform', (err as Error).message);
  }
}
