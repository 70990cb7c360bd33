// Twenty builds of overlapping Dockerfiles sent to one kilnd at once, as a CI machine's jobs or
// a monorepo's targets do. Every Dockerfile starts with the same RUN; each of four groups of
// five shares a second RUN; the third RUN is each build's own. A RUN counts its executions in a
// cache mount (a host directory under <root>/cache/mounts), so the daemon's deduplication is
// read off the store: the common step must have run once, each group's step once, each own
// step once. Printed: those counts, the wall time of the twenty, and that of one build of the
// same shape alone on a fresh root for scale. The requests go from one process over twenty
// connections, with the kiln CLI's own client code.
//
// usage: npm run build && node --import tsx bench/concurrent-builds.ts [--builds N]
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBusyboxImage } from '../test/helpers/busybox-image.js';
import { startBenchDaemon } from './kilnd.js';

type ClientModule = typeof import('../src/cli/client/build.js');
type HostModule = typeof import('../src/api/host.js');
type EngineModule = typeof import('../src/daemon/images/engine.js');
type ArchiveModule = typeof import('../src/daemon/images/archive.js');
const dist = new URL('../dist/', import.meta.url);
const fromDist = async <T>(path: string): Promise<T> => (await import(new URL(path, dist).href)) as T;
const { buildThroughDaemon } = await fromDist<ClientModule>('cli/client/build.js');
const { resolveDaemonAddress } = await fromDist<HostModule>('api/host.js');
const { openEngine } = await fromDist<EngineModule>('daemon/images/engine.js');
const { loadLayout } = await fromDist<ArchiveModule>('daemon/images/archive.js');

const { values } = parseArgs({ options: { builds: { type: 'string', default: '20' } } });
const builds = Number(values.builds);
const groups = 4;

/** A RUN that records each execution in the cache `id` and takes half a second. */
const countedRun = (id: string): string => `RUN --mount=type=cache,target=/c,id=${id} sh -c 'echo x >> /c/runs; sleep 0.5'`;

function dockerfile(build: number): string {
  return ['FROM busybox:1', countedRun('common'), countedRun(`group-${build % groups}`), countedRun(`own-${build}`), ''].join('\n');
}

async function runsOf(root: string, id: string): Promise<number> {
  const dir = join(root, 'cache', 'mounts', createHash('sha256').update(id).digest('hex'));
  const text = await readFile(join(dir, 'runs'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').length;
}

/** A store root holding busybox:1, built offline from Debian's busybox-static. */
async function seededRoot(work: string, name: string): Promise<string> {
  const root = join(work, name);
  const engine = await openEngine({ root });
  await loadLayout(engine, (await buildBusyboxImage(join(work, `${name}-layout`), { tag: 'busybox:1' })).layoutDir);
  await engine.close();
  return root;
}

async function contextFor(work: string, build: number): Promise<string> {
  const dir = join(work, 'contexts', `b${build}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile(build));
  return dir;
}

/** Builds `indexes` at once on a fresh daemon of `root`; the wall time in ms. */
async function buildAll(work: string, root: string, indexes: number[]): Promise<number> {
  const address = resolveDaemonAddress({ root });
  const daemon = await startBenchDaemon(root);
  try {
    const contexts = await Promise.all(indexes.map((build) => contextFor(work, build)));
    const start = performance.now();
    await Promise.all(contexts.map((contextDir, at) => buildThroughDaemon(address, { contextDir, tags: [`concurrent:${indexes[at]}`], buildArgs: {} }, () => undefined)));
    return performance.now() - start;
  } finally {
    daemon.kill('SIGTERM');
    await once(daemon, 'exit');
  }
}

const work = await mkdtemp(join(tmpdir(), 'kiln-concurrent-'));
try {
  const alone = await buildAll(work, await seededRoot(work, 'alone'), [0]);
  const root = await seededRoot(work, 'shared');
  const all = Array.from({ length: builds }, (_, build) => build);
  const wall = await buildAll(work, root, all);
  const own = await Promise.all(all.map((build) => runsOf(root, `own-${build}`)));
  const group = await Promise.all(Array.from({ length: groups }, (_, g) => runsOf(root, `group-${g}`)));
  console.log(`${builds} concurrent builds through one kilnd\n`);
  console.log('| measure | value |\n|---|---:|');
  console.log(`| executions of the step all ${builds} share | ${await runsOf(root, 'common')} |`);
  console.log(`| executions of each group's shared step (${groups} groups) | ${group.join(', ')} |`);
  console.log(`| builds whose own step ran exactly once | ${own.filter((count) => count === 1).length} of ${builds} |`);
  console.log(`| wall time, all ${builds} (s) | ${(wall / 1000).toFixed(2)} |`);
  console.log(`| wall time, one build of the same shape alone (s) | ${(alone / 1000).toFixed(2)} |`);
} finally {
  await rm(work, { recursive: true, force: true });
}
