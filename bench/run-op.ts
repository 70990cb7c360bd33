// The engine's own share of a container start, in one process: `runContainer` of the built
// engine (dist/, what `kiln run` executes) against bare `runc run` of a bundle with the same
// spec, interleaved. What the engine adds on top of runc — image lookup, the container record,
// the overlay snapshot and its mount, the /etc files, the spec, the json log, `runc delete`,
// unmount and removal — is measured two ways: the difference of the medians, and per call, the
// call's time minus the lifetime of its `runc run` process (published by the executor on a
// diagnostics channel), which leaves out runc's own run-to-run variance. No CLI process and no
// node start-up are in either number; a daemon holding the engine would pay just this.
//
// usage: node --import tsx bench/run-op.ts --root KILN_ROOT --image REF --rootfs DIR
//          [-n RUNS] [--pool] [--csv FILE --run-id ID]
// --pool gives the engine an endpoint pool, as the daemon holds one: default-network runs take
// a namespace attached ahead and release theirs in the background. Background work (the pool's
// release and refill, the deletion of a --rm container's files) is waited for after each timed
// call, outside the timing, so that it does not land in the next call's time; what is timed is
// a run's own critical path.
// DIR is the image's filesystem unpacked into a plain directory (the bare bundle's rootfs; it
// is only read). Prints a markdown table; with --csv, appends one `run_id,case,rep,ms,status`
// row per timed call.
import { spawn } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';

// Types from src/, code from dist/: the benchmark measures the build that `kiln` runs.
type RunModule = typeof import('../src/daemon/containers/run.js');
type EngineModule = typeof import('../src/daemon/images/engine.js');
type ExecutorModule = typeof import('../src/executor/index.js');
type NetworkModule = typeof import('../src/daemon/containers/network.js');
type RuncLifetimeEvent = import('../src/executor/index.js').RuncLifetimeEvent;
const dist = new URL('../dist/', import.meta.url);
const fromDist = async <T>(path: string): Promise<T> => (await import(new URL(path, dist).href)) as T;
const { runContainer } = await fromDist<RunModule>('daemon/containers/run.js');
const { openEngine } = await fromDist<EngineModule>('daemon/images/engine.js');
const { buildSpec, resolveUser, runcLifetimeChannel } = await fromDist<ExecutorModule>('executor/index.js');
const { startEndpointPool } = await fromDist<NetworkModule>('daemon/containers/network.js');

const { values } = parseArgs({
  options: {
    root: { type: 'string' }, image: { type: 'string' }, rootfs: { type: 'string' },
    n: { type: 'string', short: 'n', default: '10' }, pool: { type: 'boolean', default: false }, csv: { type: 'string' }, 'run-id': { type: 'string', default: '-' },
  },
});
const { root, image, rootfs } = values;
const runs = Number(values.n);
if (root === undefined || image === undefined || rootfs === undefined || !(runs >= 1)) {
  process.stderr.write('usage: run-op.ts --root KILN_ROOT --image REF --rootfs DIR [-n RUNS] [--pool] [--csv FILE --run-id ID]\n');
  process.exit(2);
}

const discard = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

interface Case {
  name: string;
  run: (rep: string) => Promise<number>;
}

// Ctrl-C / SIGTERM: the container in flight is killed and torn down, the loop stops, and the
// finally blocks below remove the bare bundle's runc state and the temporary directory.
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

const work = await mkdtemp(join(tmpdir(), 'kiln-run-op-'));
const runcRoot = join(work, 'runc');
const bundle = join(work, 'bundle');
const bareIds = new Set<string>();

/** A bundle like the one runContainer hands runc (network none, no /etc bind mounts), on `dir`. */
async function writeBareBundle(dir: string): Promise<void> {
  const spec = buildSpec({
    process: { args: ['true'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], cwd: '/', user: '' },
    rootfs: dir, hostname: 'bare', network: { mode: 'none' },
  }, await resolveUser(dir, ''));
  await mkdir(bundle, { recursive: true });
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
}

/** `runc run` in the foreground with its stdio piped and drained, as the engine does. */
function bareRunc(rep: string): Promise<number> {
  const id = `kiln-run-op-${process.pid}-${rep}`;
  bareIds.add(id);
  return new Promise((resolve, reject) => {
    const child = spawn('runc', ['--root', runcRoot, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 128));
  });
}

async function removeBareState(): Promise<void> {
  for (const id of bareIds) {
    await new Promise<void>((resolve) => {
      spawn('runc', ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore' }).once('close', () => resolve()).once('error', () => resolve());
    });
  }
}

const samples = new Map<string, number[]>();
const csvRows: string[] = [];

/** Milliseconds spent inside `runc run` processes during the call being timed. */
let runcMs = 0;
const runcSpawnedAt = new Map<string, number>();
subscribe(runcLifetimeChannel, (message) => {
  const { id, phase } = message as RuncLifetimeEvent;
  if (phase === 'spawn') runcSpawnedAt.set(id, performance.now());
  else runcMs += performance.now() - (runcSpawnedAt.get(id) ?? performance.now());
});

function record(name: string, rep: string, ms: number, status: string): void {
  csvRows.push(`${values['run-id']},${name},${rep},${ms.toFixed(2)},${status}`);
  if (status === 'ok') samples.set(name, [...(samples.get(name) ?? []), ms]);
}

async function timed(c: Case, rep: string, keep: boolean): Promise<void> {
  runcMs = 0;
  const start = performance.now();
  let status = 'ok';
  try {
    const code = await c.run(rep);
    if (code !== 0) status = `fail(${code})`;
  } catch (err) {
    status = 'fail(error)';
    process.stderr.write(`${c.name} rep ${rep}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  const ms = performance.now() - start;
  const inRunc = runcMs;
  await Promise.all([engine.endpointPool?.idle(), engine.background.settled()]);
  if (!keep) return;
  record(c.name, rep, ms, status);
  // The engine's own work in this call: all of it but the runc process's lifetime.
  if (c.name !== 'op-bare-runc') record(`${c.name}-own`, rep, ms - inRunc, inRunc > 0 ? status : 'fail(no runc)');
}

const quantile = (sorted: number[], q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

function printTable(cases: Case[]): void {
  const bare = median(samples.get('op-bare-runc') ?? []);
  const out = [
    `In-process (${runs} runs each after one warm-up, interleaved${values.pool ? '; endpoint pool on the engine' : ''}; ms):`, '',
    '| case | median | p90 | min | ok | engine overhead (median - bare runc median) | engine\'s own work (median of call - its runc run) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of cases) {
    const xs = [...(samples.get(c.name) ?? [])].sort((a, b) => a - b);
    const m = median(xs);
    const engineRow = c.name !== 'op-bare-runc' && xs.length > 0;
    const overhead = engineRow ? (m - bare).toFixed(1) : '—';
    const own = engineRow ? median(samples.get(`${c.name}-own`) ?? []).toFixed(1) : '—';
    out.push(`| ${c.name} | ${m.toFixed(1)} | ${quantile(xs, 0.9).toFixed(1)} | ${(xs[0] ?? NaN).toFixed(1)} | ${xs.length}/${runs} | ${overhead} | ${own} |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

const engine = await openEngine({ root });
try {
  if (values.pool) engine.endpointPool = await startEndpointPool(root);
  await writeBareBundle(rootfs);
  const io = () => ({ stdout: discard(), stderr: discard() });
  const cases: Case[] = [
    { name: 'op-bare-runc', run: bareRunc },
    { name: 'op-runContainer-none', run: () => runContainer(engine, { image, args: ['true'], autoRemove: true, network: 'none' }, io(), stop.signal) },
    { name: 'op-runContainer-default', run: () => runContainer(engine, { image, args: ['true'], autoRemove: true }, io(), stop.signal) },
  ];
  for (const c of cases) await timed(c, 'warmup', false);
  for (let rep = 1; rep <= runs && !stop.signal.aborted; rep++) {
    for (const c of cases) if (!stop.signal.aborted) await timed(c, String(rep), true);
  }
  if (values.csv !== undefined && csvRows.length > 0) await appendFile(values.csv, `${csvRows.join('\n')}\n`);
  printTable(cases);
} finally {
  await removeBareState();
  await engine.endpointPool?.close();
  await engine.close();
  await rm(work, { recursive: true, force: true });
}
if (stop.signal.aborted) process.exitCode = 130;
