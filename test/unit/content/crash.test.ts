// A writer killed with SIGKILL mid-blob must leave nothing visible, and cleanupIngests must
// reclaim what it left once (and only once) the process is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isKilnError } from '../../../src/util/errors.js';
import { tempStore } from './store-helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const contentIndex = new URL('../../../src/content/index.ts', import.meta.url).href;

// Writes half of a 1 MiB blob, says so, then waits to be killed.
const childScript = `
import { LocalContentStore } from ${JSON.stringify(contentIndex)};
const store = new LocalContentStore(process.argv[2]);
const writer = await store.writer('crash-ref', { size: 1024 * 1024 });
await writer.write(new Uint8Array(512 * 1024).fill(7));
process.stdout.write('ready\\n');
setInterval(() => undefined, 1000);
`;

async function startHalfWriter(root: string): Promise<ChildProcess> {
  // .mts: the temp dir has no package.json saying "type": "module", and the script awaits.
  const script = join(root, 'half-writer.mts');
  await writeFile(script, childScript);
  const child = spawn(process.execPath, ['--import', 'tsx', script, root], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = once(child.stdout!, 'data').then(([chunk]) => String(chunk));
  const exited = once(child, 'exit').then(([code]) => `exited early with code ${String(code)}`);
  const outcome = await Promise.race([ready, exited]);
  if (outcome !== 'ready\n') {
    child.kill('SIGKILL');
    assert.fail(`half-writer did not start: ${outcome}`);
  }
  return child;
}

test('a writer killed with SIGKILL leaves no blob and its ingest is cleaned up', async () => {
  const { root, store } = await tempStore();
  const ingestRoot = join(root, 'content', 'ingest');
  const child = await startHalfWriter(root);
  try {
    const [ingest] = await readdir(ingestRoot);
    assert.ok(ingest !== undefined);
    assert.equal((await stat(join(ingestRoot, ingest, 'data'))).size, 512 * 1024);

    // While the child lives, its ingest is protected: the lock file stops a second writer
    // and cleanup keeps it.
    await assert.rejects(store.writer('crash-ref'), (err) => isKilnError(err) && err.code === 'CONFLICT');
    assert.equal(await store.cleanupIngests(), 0);
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }

  let blobs = 0;
  await store.walk(() => { blobs += 1; });
  assert.equal(blobs, 0);
  assert.equal((await readdir(ingestRoot)).length, 1);

  assert.equal(await store.cleanupIngests(), 1);
  assert.deepEqual(await readdir(ingestRoot), []);
  const writer = await store.writer('crash-ref');
  await writer.abort();
});
