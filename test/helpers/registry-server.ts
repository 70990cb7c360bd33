// A real CNCF distribution registry (/usr/bin/docker-registry) on a loopback port, with its
// storage in a temp dir, optionally behind htpasswd auth. Stopped by an `after` hook.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

export interface RegistryServer {
  /** `127.0.0.1:PORT` */
  host: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface RegistryServerOptions {
  htpasswd?: { username: string; password: string };
  /** Extra top-level `auth:` YAML lines (indented by two), replacing htpasswd, e.g. a token section. */
  authYaml?: string;
}

/** A free loopback port: bind port 0, read the port, release it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function authSection(dir: string, options: RegistryServerOptions): Promise<string> {
  if (options.authYaml !== undefined) return `auth:\n${options.authYaml}\n`;
  if (options.htpasswd === undefined) return '';
  const line = execFileSync('htpasswd', ['-Bbn', options.htpasswd.username, options.htpasswd.password], { encoding: 'utf8' });
  const file = join(dir, 'htpasswd');
  await writeFile(file, line.trim() + '\n');
  return `auth:\n  htpasswd:\n    realm: kiln-test\n    path: ${file}\n`;
}

async function waitReady(host: string, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr()}`);
    try {
      const response = await request(`http://${host}/v2/`);
      await response.body.dump();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`docker-registry did not start on ${host}: ${stderr()}`);
}

export async function startRegistry(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-registry-'));
  let stop = async (): Promise<void> => {};
  // Stop the server before its storage goes away.
  after(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${dataDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    await authSection(dir, options),
  ].join('\n');
  const configFile = join(dir, 'config.yml');
  await writeFile(configFile, config);
  const child = spawn('/usr/bin/docker-registry', ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let stopped: Promise<void> | undefined;
  stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    })();
    return stopped;
  };
  try {
    await waitReady(host, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, dataDir, stop };
}
