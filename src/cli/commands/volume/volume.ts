// The `kiln volume` commands through the daemon, in docker's shapes: names one per line, the
// DRIVER / VOLUME NAME table, inspect's JSON array, prune's "Deleted Volumes:" report.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { createVolume, inspectVolume, listVolumes, pruneVolumes, removeVolume } from '../../client/volumes.js';
import { flagError, reportError } from '../../report.js';
import { formatTable } from '../../table.js';
import { humanSize } from '../../units.js';
import { daemonAddress } from '../../daemon-address.js';

function debugOf(command: Command): boolean {
  return command.optsWithGlobals<{ debug?: boolean }>().debug === true;
}

function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    const key = eq === -1 ? value : value.slice(0, eq);
    if (key === '') throw flagError('--label', `invalid label "${value}"`, 'use --label KEY=VALUE');
    labels[key] = eq === -1 ? '' : value.slice(eq + 1);
  }
  return labels;
}

export async function runVolumeCreate(command: Command, name: string | undefined, flags: { label: string[] }): Promise<void> {
  const labels = parseLabels(flags.label);
  const volume = await createVolume(daemonAddress(command), { ...(name === undefined ? {} : { name }), labels });
  process.stdout.write(`${volume.name}\n`);
}

export async function runVolumeList(command: Command, flags: { quiet?: boolean }): Promise<void> {
  const volumes = await listVolumes(daemonAddress(command));
  if (flags.quiet === true) {
    process.stdout.write(volumes.map((v) => `${v.name}\n`).join(''));
    return;
  }
  process.stdout.write(formatTable(['DRIVER', 'VOLUME NAME'], volumes.map((v) => ['local', v.name])));
}

/** The volumes found are printed; each one missing is reported and fails the command, as docker does. */
export async function runVolumeInspect(command: Command, names: string[]): Promise<void> {
  const address = daemonAddress(command);
  const found: Record<string, unknown>[] = [];
  for (const name of names) {
    try {
      found.push(await inspectVolume(address, name));
    } catch (err) {
      process.exitCode = reportError(err, debugOf(command));
    }
  }
  process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
}

export async function runVolumeRm(command: Command, names: string[], flags: { force?: boolean }): Promise<void> {
  const address = daemonAddress(command);
  for (const name of names) {
    try {
      await removeVolume(address, name, flags.force === true);
      process.stdout.write(`${name}\n`);
    } catch (err) {
      process.exitCode = reportError(err, debugOf(command));
    }
  }
}

/** docker's prompt; a closed stdin (no answer) is a no, not a wait forever. */
function confirmed(all: boolean): Promise<boolean> {
  const what = all ? 'all local volumes' : 'anonymous local volumes';
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  return new Promise((resolve) => {
    prompt.once('close', () => resolve(false));
    prompt.question(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `, (answer) => {
      resolve(/^y(es)?$/i.test(answer.trim()));
      prompt.close();
    });
  });
}

export async function runVolumePrune(command: Command, flags: { all?: boolean; force?: boolean }): Promise<void> {
  const all = flags.all === true;
  if (flags.force !== true && !(await confirmed(all))) return;
  const result = await pruneVolumes(daemonAddress(command), all);
  const deleted = result.deleted.length === 0 ? '' : `Deleted Volumes:\n${result.deleted.map((name) => `${name}\n`).join('')}\n`;
  process.stdout.write(`${deleted}Total reclaimed space: ${humanSize(result.reclaimedBytes)}\n`);
}
