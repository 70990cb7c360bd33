// Image records under real process death and real cross-process races: a writer killed with
// SIGKILL mid-loop leaves the old or the new record, never a partial one, and two processes
// writing the same root lose no names.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ImageStore, digestBytes, digestHex } from '../../../src/content/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const contentIndex = new URL('../../../src/content/index.ts', import.meta.url).href;
const name = 'docker.io/library/flip:latest';

// Puts `name` forever, alternating between two targets; says "ready" after the first put.
const flipperScript = `
import { ImageStore, digestBytes } from ${JSON.stringify(contentIndex)};
const images = new ImageStore(process.argv[2]);
const targets = ['a', 'b'].map((seed) => ({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: digestBytes(seed), size: 1 }));
for (let i = 0; ; i++) {
  await images.put({ name: ${JSON.stringify(name)}, target: targets[i % 2], labels: { round: String(i) } });
  if (i === 0) process.stdout.write('ready\\n');
}
`;

// Puts 100 names of its own and the shared name 100 times, then exits.
const taggerScript = `
import { ImageStore, digestBytes } from ${JSON.stringify(contentIndex)};
const images = new ImageStore(process.argv[2]);
const tag = process.argv[3];
const target = (seed) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestBytes(seed), size: 1 });
await Promise.all(Array.from({ length: 100 }, async (_, i) => {
  await images.put({ name: 'r/' + tag + ':' + i, target: target(tag + i) });
  await images.put({ name: 'r/shared:latest', target: target(tag) });
}));
`;

async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-images-crash-'));
  after(() => rm(root, { recursive: true, force: true }));
  return root;
}

async function startScript(root: string, file: string, text: string, ...args: string[]): Promise<ChildProcess> {
  // .mts: the temp dir has no package.json saying "type": "module", and the script awaits.
  const script = join(root, file);
  await writeFile(script, text);
  return spawn(process.execPath, ['--import', 'tsx', script, root, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function waitReady(child: ChildProcess): Promise<void> {
  const ready = once(child.stdout!, 'data').then(([chunk]) => String(chunk));
  const exited = once(child, 'exit').then(([code]) => `exited early with code ${String(code)}`);
  const outcome = await Promise.race([ready, exited]);
  if (outcome !== 'ready\n') {
    child.kill('SIGKILL');
    assert.fail(`child did not start: ${outcome}`);
  }
}

test('a writer killed with SIGKILL leaves one of the two versions, and cleanup removes its temp files', async () => {
  const root = await tempRoot();
  const images = new ImageStore(root);
  const dir = join(root, 'metadata', 'images');
  const recordFile = `${digestHex(digestBytes(name))}.json`;
  for (let round = 0; round < 3; round++) {
    const child = await startScript(root, 'flipper.mts', flipperScript);
    try {
      await waitReady(child);
      await sleep(200 + round * 100);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const record = await images.get(name);
    assert.ok(record !== undefined);
    assert.ok([digestBytes('a'), digestBytes('b')].includes(record.target.digest), record.target.digest);
    assert.equal(record.target.digest, digestBytes(Number(record.labels?.round) % 2 === 0 ? 'a' : 'b'));
    assert.deepEqual((await images.list()).map((r) => r.name), [name]);

    const before = await readdir(dir);
    assert.equal(await images.cleanup(), before.length - 1);
    assert.deepEqual(await readdir(dir), [recordFile]);
  }
});

test('two processes writing one root concurrently lose no names and leave a valid shared record', async () => {
  const root = await tempRoot();
  const children = await Promise.all(['x', 'y'].map((tag) => startScript(root, `tagger-${tag}.mts`, taggerScript, tag)));
  const codes = await Promise.all(children.map(async (child) => (await once(child, 'exit'))[0]));
  assert.deepEqual(codes, [0, 0]);

  const images = new ImageStore(root);
  const records = await images.list();
  assert.equal(records.length, 201);
  const shared = await images.get('r/shared:latest');
  assert.ok(shared !== undefined);
  assert.ok([digestBytes('x'), digestBytes('y')].includes(shared.target.digest));
  for (const tag of ['x', 'y']) {
    assert.equal((await images.byTarget(digestBytes(`${tag}7`)))[0]?.name, `r/${tag}:7`);
  }
  assert.equal(await images.cleanup(), 0);
});
