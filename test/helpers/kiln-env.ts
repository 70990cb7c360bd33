// One isolated kiln user for integration tests: a store root and a DOCKER_CONFIG directory of
// its own, a runner for the real CLI bound to both, and views of the store's files (committed
// blobs, in-flight ingests) for asserting what a command left behind.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after } from 'node:test';
import { loadLayout } from '../../src/daemon/images/archive.js';
import { openEngine } from '../../src/daemon/images/engine.js';
import { buildBusyboxImage } from './busybox-image.js';
import { runKilnAsync, type AsyncCliOptions, type AsyncCliResult } from './cli.js';
import { tempDir } from './tmp.js';

export interface KilnUser {
  root: string;
  dockerConfig: string;
  /** `kiln --root ROOT ARGS` with DOCKER_CONFIG set. */
  kiln(args: string[], options?: AsyncCliOptions): Promise<AsyncCliResult>;
  /** Hex digests of the committed blobs. */
  blobs(): Promise<string[]>;
  /** Entries under content/ingest. */
  ingests(): Promise<string[]>;
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
}

/** Whether `pid` runs (a zombie, exited but not yet reaped by its new parent, does not). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** SIGTERMs the daemon the CLI started for `root`, if any, and waits until it has gone. */
export async function stopDaemon(root: string): Promise<void> {
  const pid = Number.parseInt(await readFile(join(root, 'kilnd.pid'), 'utf8').catch(() => ''), 10);
  if (!Number.isInteger(pid) || !(await running(pid))) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (await running(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await delay(20);
  }
}

export async function kilnUser(prefix: string): Promise<KilnUser> {
  // Registered before the temp dir's own hook so that the daemon stops before its root goes.
  let root: string | undefined;
  after(() => (root === undefined ? undefined : stopDaemon(root)));
  const dir = await tempDir(prefix);
  root = join(dir, 'root');
  const userRoot = root;
  const dockerConfig = join(dir, 'docker');
  await mkdir(dockerConfig);
  return {
    root: userRoot,
    dockerConfig,
    kiln: (args, options = {}) =>
      runKilnAsync(['--root', userRoot, ...args], { ...options, env: { DOCKER_CONFIG: dockerConfig, ...options.env } }),
    blobs: () => entries(join(userRoot, 'content', 'blobs', 'sha256')),
    ingests: () => entries(join(userRoot, 'content', 'ingest')),
  };
}

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs skopeo (or another tool) without throwing on a non-zero exit. */
export async function tool(command: string, args: string[]): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
    return { status: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `skopeo copy` from an OCI layout (entry `ref`) to a plain-HTTP registry. */
export async function skopeoPush(layoutDir: string, ref: string, destination: string, creds?: string): Promise<void> {
  const result = await tool('skopeo', [
    '--insecure-policy', 'copy', '--dest-tls-verify=false', ...(creds === undefined ? [] : ['--dest-creds', creds]),
    `oci:${layoutDir}:${ref}`, `docker://${destination}`,
  ]);
  if (result.status !== 0) throw new Error(`skopeo copy to ${destination} failed: ${result.stderr}`);
}

/** The digest of the manifest a registry serves for `reference` (host/repo:tag), per skopeo. */
export async function skopeoDigest(reference: string): Promise<ToolResult & { digest?: string }> {
  const result = await tool('skopeo', ['inspect', '--tls-verify=false', `docker://${reference}`]);
  if (result.status !== 0) return result;
  return { ...result, digest: (JSON.parse(result.stdout) as { Digest: string }).Digest };
}

/** Root can mount and run runc; outside CI a non-root developer gets an explicit skip, in CI never. */
export const canRunContainers = process.getuid?.() === 0 || process.env['CI'] !== undefined;

export interface ContainerUser extends KilnUser {
  /** The busybox fixture, loaded as `busybox:1`. */
  image: string;
  /** IDs of the containers runc still knows under this root, newline-separated. */
  runcList(): Promise<string>;
}

/** A kiln user whose store holds the busybox fixture, for the container tests. */
export async function containerUser(prefix: string): Promise<ContainerUser> {
  const fixture = await buildBusyboxImage(join(await tempDir(`${prefix}-layout`), 'layout'), { tag: 'busybox:1' });
  const user = await kilnUser(prefix);
  // Loaded in-process, not with `kiln load`, which would start the root's daemon: a test decides
  // itself whether and how a daemon runs on its root.
  const engine = await openEngine({ root: user.root });
  try {
    await loadLayout(engine, fixture.layoutDir);
  } finally {
    await engine.close();
  }
  return {
    ...user,
    image: 'busybox:1',
    runcList: async () => (await promisify(execFile)('runc', ['--root', join(user.root, 'runc'), 'list', '-q'])).stdout.trim(),
  };
}
