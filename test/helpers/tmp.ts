// Temporary directories for tests: each one is removed by an `after` hook registered where it
// was made, so no test leaves anything behind in /tmp.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `kiln-${prefix}-`));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
