// What a store directory holds once the daemon's background deletions have finished. A --rm
// container is gone for every reader when its run returns (its directory and its snapshot are
// renamed to temp names, `tmp-<pid>-…`); deleting them is work the daemon does afterwards. A
// test that says "nothing is left" means once that work is done: this waits for the temp names
// to go, and gives up (returning them, for the assertion to show) after a few seconds.
import { readdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

const settleMs = 5_000;
const pollMs = 20;
const tempName = /^tmp-\d+-/;

/** The entries of `dir` (none when it is missing) after its temp entries have gone. */
export async function settledEntries(dir: string): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const names = await readdir(dir).catch(() => []);
    if (!names.some((name) => tempName.test(name)) || Date.now() > deadline) return names;
    await delay(pollMs);
  }
}
