// `kiln pull` and `kiln push` through the daemon, printing what docker prints without a
// terminal as the daemon reports the transfer. The reference is checked here first, and the
// user's credentials for its registry go along with the request (client/registry-auth.ts).
import type { Command } from 'commander';
import { parsePlatform } from '../../../image/platform-parse.js';
import { familiarName, parseNormalizedReference } from '../../../registry/reference.js';
import { pullImage, pushImage } from '../../client/images.js';
import { registryAuthHeader } from '../../client/registry-auth.js';
import { transferPrinter } from '../../progress.js';
import { flagError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';

export interface PullFlags {
  platform?: string;
  quiet?: boolean;
}

function printer(quiet: boolean | undefined): (line: string) => void {
  return (line) => {
    if (quiet !== true) process.stdout.write(line);
  };
}

export async function runPull(command: Command, text: string, flags: PullFlags): Promise<void> {
  const out = printer(flags.quiet);
  const given = parseNormalizedReference(text);
  if (given.tag === undefined && given.digest === undefined) out('Using default tag: latest\n');
  // Checked here too, so that a bad value is reported as the flag's.
  if (flags.platform !== undefined) platformFlag(flags.platform);
  const tagOrDigest = given.digest ?? given.tag ?? 'latest';
  const onTransfer = transferPrinter('pull', out);
  const result = await pullImage(daemonAddress(command), {
    reference: text,
    ...(flags.platform === undefined ? {} : { platform: flags.platform }),
  }, await registryAuthHeader(given.domain), (message) => {
    if ('resolved' in message) out(`${tagOrDigest}: Pulling from ${given.path}\n`);
    else if ('transfer' in message) onTransfer(message.transfer);
  });
  out(`Digest: ${result.digest}\n`);
  const familiar = familiarName(parseNormalizedReference(result.reference));
  out(result.upToDate ? `Status: Image is up to date for ${familiar}\n` : `Status: Downloaded newer image for ${familiar}\n`);
  process.stdout.write(`${result.reference}\n`);
}

export async function runPush(command: Command, text: string, flags: { quiet?: boolean; allTags?: boolean }): Promise<void> {
  const out = printer(flags.quiet);
  const given = parseNormalizedReference(text);
  if (flags.allTags === true && (given.tag !== undefined || given.digest !== undefined)) {
    throw flagError('--all-tags', `tag can't be used with --all-tags/-a: ${text}`);
  }
  const repository = `${given.domain}/${given.path}`;
  const onTransfer = transferPrinter('push', out);
  await pushImage(daemonAddress(command), text, flags.allTags === true ? { allTags: true } : {}, await registryAuthHeader(given.domain), (message) => {
    if ('pushing' in message) out(`The push refers to repository [${message.pushing.repository}]\n`);
    else if ('transfer' in message) onTransfer(message.transfer);
    else if ('pushed' in message) {
      out(`${message.pushed.tag}: digest: ${message.pushed.digest} size: ${message.pushed.size}\n`);
      if (flags.quiet === true) process.stdout.write(`${repository}:${message.pushed.tag}\n`);
    }
  });
}

function platformFlag(value: string): void {
  try {
    parsePlatform(value);
  } catch (err) {
    throw flagError('--platform', (err as Error).message);
  }
}
