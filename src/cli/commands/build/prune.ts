// `kiln builder prune`: asks first unless -f (a closed stdin answers no, and nothing is
// removed), then prints what the daemon removed as buildx does: a tab-aligned table of ID,
// RECLAIMABLE, SIZE and LAST ACCESSED, and `Total:` with the bytes reclaimed.
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { daemonAddress } from '../../daemon-address.js';
import { parseMemoryBytes } from '../../../daemon/containers/resources.js';
import type { PrunedEntry } from '../../../daemon/build/prune.js';
import { pruneThroughDaemon } from '../../client/prune.js';
import { humanDuration, humanSize } from '../../units.js';

export interface PruneFlags {
  all?: boolean;
  force?: boolean;
  filter: string[];
  keepStorage?: string;
}

const danglingWarning = 'WARNING! This will remove all dangling build cache. Are you sure you want to continue?';
const allWarning = 'WARNING! This will remove all build cache. Are you sure you want to continue?';

function confirmed(warning: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  return new Promise((resolve) => {
    prompt.once('close', () => resolve(false));
    prompt.question(`${warning} [y/N] `, (answer) => {
      resolve(/^y(es)?$/i.test(answer.trim()));
      prompt.close();
    });
  });
}

const tabWidth = 8;

/** Go's text/tabwriter with tabs for padding (minwidth 1, padding 1), as buildx prints. */
export function tabAlign(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.slice(0, -1).forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length + 1)));
  return rows.map((row) => row.map((cell, i) => {
    if (i === row.length - 1) return cell;
    const width = Math.ceil((widths[i] ?? 0) / tabWidth) * tabWidth;
    return cell + '\t'.repeat(Math.ceil((width - cell.length) / tabWidth));
  }).join('') + '\n').join('');
}

function row(entry: PrunedEntry, now: number): string[] {
  // Every entry a prune removes was reclaimable; a size shared with an image is starred.
  return [entry.id.padEnd(40), 'true '.padEnd(5), `${humanSize(entry.size)}${entry.shared ? '*' : ''}`.padEnd(10), `${humanDuration(now - Date.parse(entry.lastUsedAt))} ago`];
}

export async function runPrune(command: Command, flags: PruneFlags): Promise<void> {
  const keepStorage = flags.keepStorage === undefined ? undefined : parseMemoryBytes(flags.keepStorage, '--keep-storage');
  if (flags.force !== true && !(await confirmed(flags.all === true ? allWarning : danglingWarning))) return;
  const address = daemonAddress(command);
  const result = await pruneThroughDaemon(address, {
    filters: flags.filter,
    ...(flags.all === true ? { all: true } : {}),
    ...(keepStorage === undefined ? {} : { keepStorage }),
  });
  const now = Date.now();
  const table = result.removed.length === 0 ? '' : tabAlign([['ID', 'RECLAIMABLE', 'SIZE', 'LAST ACCESSED'], ...result.removed.map((entry) => row(entry, now))]);
  process.stdout.write(`${table}${tabAlign([['Total:', humanSize(result.reclaimed)]])}`);
}
