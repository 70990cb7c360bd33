// Build-context content keys on a 5,000-file context: the first checksum of the whole context
// (everything hashed), a no-op one (a fresh process reading the persisted stat cache: nothing
// hashed) and one after a single file changed (one file hashed). Each phase runs in its own
// process, as consecutive builds of a restarted daemon would; the table shows the median of
// three rounds, each with a fresh stat cache. The files were just written, so the first phase
// reads them from the page cache, not the disk.
//
//   npm run bench:contenthash
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeHashPool, openContext, type ContextStats } from '../src/contenthash/index.js';

const FILES = 5_000;
// A few files above the inline limit, so the worker pool takes part as in a real context.
const BIG_FILES = 20;
const BIG_SIZE = 512 * 1024;
const ROUNDS = 3;

interface PhaseResult {
  ms: number;
  key: string;
  stats: ContextStats;
}

async function runPhase(root: string, contextDir: string): Promise<void> {
  const started = process.hrtime.bigint();
  const context = openContext(root, contextDir, undefined);
  const key = await context.checksum({ paths: ['.'], allowWildcard: false });
  await context.save();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await closeHashPool();
  const result: PhaseResult = { ms, key, stats: context.stats };
  process.stdout.write(JSON.stringify(result));
}

async function writeContext(dir: string): Promise<void> {
  for (let d = 0; d < 50; d++) await mkdir(join(dir, `pkg${d}`, 'src'), { recursive: true });
  const writes: Array<Promise<void>> = [];
  for (let i = 0; i < FILES; i++) {
    const path = join(dir, `pkg${i % 50}`, 'src', `file${i}.ts`);
    const body = i < BIG_FILES ? Buffer.alloc(BIG_SIZE, i) : `export const value${i} = ${i};\n`.repeat(1 + (i % 40));
    writes.push(writeFile(path, body));
  }
  await Promise.all(writes);
}

function phase(root: string, contextDir: string): PhaseResult {
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, 'phase', root, contextDir], { encoding: 'utf8' });
  return JSON.parse(out) as PhaseResult;
}

function row(name: string, result: PhaseResult): string {
  const { filesHashed, filesHashedOffThread, cacheHits, bytesHashed } = result.stats;
  const mib = (bytesHashed / 1024 / 1024).toFixed(1);
  return `| ${name} | ${result.ms.toFixed(1)} | ${filesHashed} (${filesHashedOffThread} on workers) | ${mib} | ${cacheHits} |`;
}

function median(results: PhaseResult[]): PhaseResult {
  const sorted = [...results].sort((a, b) => a.ms - b.ms);
  return sorted[Math.floor(sorted.length / 2)] as PhaseResult;
}

function settle(): Promise<void> {
  // Past the stat cache's racy window, so a phase may cache every file it hashes.
  return new Promise((resolve) => setTimeout(resolve, 200));
}

async function main(): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'kiln-bench-contenthash-'));
  try {
    const contextDir = join(base, 'context');
    await writeContext(contextDir);
    const rounds: Array<{ cold: PhaseResult; noop: PhaseResult; change: PhaseResult }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const root = join(base, `root${round}`);
      await settle();
      const cold = phase(root, contextDir);
      const noop = phase(root, contextDir);
      await writeFile(join(contextDir, 'pkg7', 'src', 'file1007.ts'), `export const changed = ${round};\n`);
      await settle();
      const change = phase(root, contextDir);
      if (noop.key !== cold.key || change.key === cold.key || noop.stats.filesHashed !== 0 || change.stats.filesHashed !== 1) {
        throw new Error(`content keys do not behave: ${JSON.stringify({ cold, noop, change })}`);
      }
      rounds.push({ cold, noop, change });
    }
    console.log(`contenthash: ${FILES} files (${BIG_FILES} of ${BIG_SIZE / 1024} KiB), checksum of the whole context, one process per phase, median of ${ROUNDS}`);
    console.log('| phase | ms | files hashed | MiB hashed | cache hits |');
    console.log('|---|---|---|---|---|');
    console.log(row('first (cold cache)', median(rounds.map((r) => r.cold))));
    console.log(row('no-op (persisted cache)', median(rounds.map((r) => r.noop))));
    console.log(row('one file changed', median(rounds.map((r) => r.change))));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

const [command, root, contextDir] = process.argv.slice(2);
if (command === 'phase' && root !== undefined && contextDir !== undefined) await runPhase(root, contextDir);
else await main();
