// What going through kilnd's API adds to an operation, against the same operation in-process:
// a no-op build (the context unchanged, every step cached) and the image list behind
// `kiln images` (GET /kiln/v1/images). The in-process side calls the engine functions the daemon's routes call, on an
// engine of its own; the API side sends the request the kiln CLI sends (the CLI's own client
// code, from dist/) to a kilnd on a second store root holding the same image. Runs interleave,
// so drift of the machine hits both sides alike. Neither side includes a process start:
// what is compared is the engine's work with and without the socket, the HTTP exchange and the
// daemon's request handling in between.
//
// usage: npm run build && node --import tsx bench/api-overhead.ts [-n RUNS]
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchDaemon } from './kilnd.js';

// Types from src/, code from dist/: what `kiln` and `kilnd` run.
type BuildModule = typeof import('../src/daemon/build/index.js');
type EngineModule = typeof import('../src/daemon/images/engine.js');
type LocalModule = typeof import('../src/daemon/images/local.js');
type ClientModule = typeof import('../src/cli/client/build.js');
type ImagesClientModule = typeof import('../src/cli/client/images.js');
type HostModule = typeof import('../src/api/host.js');
const dist = new URL('../dist/', import.meta.url);
const fromDist = async <T>(path: string): Promise<T> => (await import(new URL(path, dist).href)) as T;
const { buildImage } = await fromDist<BuildModule>('daemon/build/index.js');
const { openEngine } = await fromDist<EngineModule>('daemon/images/engine.js');
const { listImages } = await fromDist<LocalModule>('daemon/images/local.js');
const { buildThroughDaemon } = await fromDist<ClientModule>('cli/client/build.js');
const imagesClient = await fromDist<ImagesClientModule>('cli/client/images.js');
const { resolveDaemonAddress } = await fromDist<HostModule>('api/host.js');

const { values } = parseArgs({ options: { n: { type: 'string', short: 'n', default: '30' } } });
const runs = Number(values.n);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const work = await mkdtemp(join(tmpdir(), 'kiln-api-overhead-'));
const context = join(work, 'context');
await mkdir(context);
// FROM scratch: no base image to pull, so both roots start equal and offline.
await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY . /app\nLABEL bench=api-overhead\n');
for (let i = 0; i < 50; i++) await writeFile(join(context, `file-${i}.txt`), `file ${i}\n`);
const buildRequest = { contextDir: context, tags: ['bench:api'], buildArgs: {} };

const engine = await openEngine({ root: join(work, 'in-process') });
const address = resolveDaemonAddress({ root: join(work, 'daemon') });
const daemon = await startBenchDaemon(address.root);
try {
  // Warm-up: the first build of each side does the real work and loads the code.
  for (let i = 0; i < 3; i++) {
    await buildImage(engine, buildRequest);
    await buildThroughDaemon(address, buildRequest, () => undefined);
    await listImages(engine);
    await imagesClient.listImages(address);
  }
  const samples = { buildLocal: [] as number[], buildApi: [] as number[], imagesLocal: [] as number[], imagesApi: [] as number[] };
  for (let i = 0; i < runs; i++) {
    samples.buildLocal.push(await timed(() => buildImage(engine, buildRequest)));
    samples.buildApi.push(await timed(() => buildThroughDaemon(address, buildRequest, () => undefined)));
    samples.imagesLocal.push(await timed(() => listImages(engine)));
    samples.imagesApi.push(await timed(() => imagesClient.listImages(address)));
  }
  const row = (name: string, local: number[], api: number[]): string =>
    `| ${name} | ${median(local).toFixed(2)} | ${median(api).toFixed(2)} | ${(median(api) - median(local)).toFixed(2)} |`;
  console.log(`API overhead, medians of ${runs} interleaved runs (ms)\n`);
  console.log('| operation | in-process | through kilnd | added |\n|---|---:|---:|---:|');
  console.log(row('no-op build (50-file context)', samples.buildLocal, samples.buildApi));
  console.log(row('image list (`kiln images`)', samples.imagesLocal, samples.imagesApi));
} finally {
  daemon.kill('SIGTERM');
  await once(daemon, 'exit');
  await engine.close();
  await rm(work, { recursive: true, force: true });
}
