// What a directory tree takes on disk, as du counts it: allocated blocks rather than apparent
// sizes (sparse files, small files in whole blocks), each hard-linked inode once. A tree that
// vanishes while it is walked counts what was seen.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function diskUsage(path: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const pending = [path];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const stats = await lstat(next, { bigint: true }).catch(() => undefined);
    if (stats === undefined) continue;
    const inode = `${stats.dev}:${stats.ino}`;
    if (seen.has(inode)) continue;
    seen.add(inode);
    total += Number(stats.blocks) * 512;
    if (stats.isDirectory()) {
      for (const name of await readdir(next).catch(() => [])) pending.push(join(next, name));
    }
  }
  return total;
}
