// kilnd as the docker CLI and other Engine API clients meet it in the tests: a daemon on a fresh
// store root (holding the busybox fixture as busybox:1) and its own socket, started as a child
// process and stopped by the caller, and the docker clients to drive it with DOCKER_HOST.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AsyncCliOptions, AsyncCliResult } from './cli.js';
import { containerUser, type ContainerUser } from './kiln-env.js';
import { tempDir } from './tmp.js';

const run = promisify(execFile);
const daemonMain = fileURLToPath(new URL('../../src/daemon/main.ts', import.meta.url));

export interface Kilnd {
  daemon: ChildProcess;
  socket: string;
  root: string;
  /** The store's user, for `kiln` commands on the same root. */
  user: ContainerUser;
  /** What the daemon wrote to stderr so far (its JSON log). */
  log(): string;
  stop(): Promise<void>;
}

/** kilnd on a fresh root and socket (`args`: more daemon flags); resolves once it listens. */
export async function startKilnd(prefix: string, args: string[] = []): Promise<Kilnd> {
  const user = await containerUser(prefix);
  const socket = join(await tempDir(`${prefix}-sock`), 'kiln.sock');
  return spawnKilnd(user, socket, args);
}

/** Another daemon on a stopped one's root and socket, as after a restart of the service. */
export function restartKilnd(stopped: Kilnd, args: string[] = []): Promise<Kilnd> {
  return spawnKilnd(stopped.user, stopped.socket, args);
}

async function spawnKilnd(user: ContainerUser, socket: string, args: string[]): Promise<Kilnd> {
  const daemon = spawn(process.execPath, ['--import', 'tsx', daemonMain, '--root', user.root, '--host', `unix://${socket}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  await new Promise<void>((resolve, reject) => {
    daemon.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('"msg":"listening"')) resolve();
    });
    daemon.once('exit', () => reject(new Error(`kilnd exited: ${text}`)));
  });
  return {
    daemon, socket, root: user.root, user,
    log: () => text,
    stop: async () => {
      if (daemon.exitCode !== null || daemon.signalCode !== null) return;
      daemon.kill('SIGTERM');
      await once(daemon, 'exit');
    },
  };
}

export interface DockerClient {
  name: string;
  path: string;
  /** Debian's docker.io is installed by CI and required; a current client is used where present. */
  present: boolean;
  required: boolean;
}

export const dockerClients: DockerClient[] = [
  { name: 'docker.io 20.10', path: '/usr/bin/docker', required: true },
  { name: 'docker 28', path: '/usr/local/bin/docker', required: false },
].map((client) => ({ ...client, present: existsSync(client.path) }));

/** A test's skip option for a client: never skip the required one (a missing one fails the test). */
export function clientSkip(client: DockerClient): { skip: string | false } {
  return { skip: client.present || client.required ? false : `${client.path} is not installed` };
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a docker client against the daemon (legacy builder, a config dir of the store's own); never throws on a non-zero exit. */
export async function docker(kilnd: Kilnd, client: DockerClient, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<DockerResult> {
  try {
    const { stdout, stderr } = await run(client.path, args, {
      env: { ...process.env, DOCKER_HOST: `unix://${kilnd.socket}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: join(kilnd.root, 'docker-config'), ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw err;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** `kiln --root ROOT --host unix://SOCKET ARGS` against this daemon. */
export function kilnVia(kilnd: Kilnd, args: string[], options: AsyncCliOptions = {}): Promise<AsyncCliResult> {
  return kilnd.user.kiln(['--host', `unix://${kilnd.socket}`, ...args], options);
}

/** `METHOD path` of the daemon's request log lines since `from` (a length of its log). */
export function requestsOf(kilnd: Kilnd, from: number): string[] {
  return kilnd.log().slice(from).split('\n').filter((line) => line.includes('"msg":"request"'))
    .map((line) => {
      const { method, path } = JSON.parse(line) as { method: string; path: string };
      return `${method} ${path}`;
    });
}

export interface JsonAnswer {
  status: number;
  json: { code?: string; message?: string } & Record<string, unknown>;
}

/** One request to the daemon's socket whose answer is JSON. */
export function requestDaemon(kilnd: Kilnd, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: kilnd.socket, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as JsonAnswer['json'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
