// Secrets and ssh agents of a RUN. A secret is written to a tmpfs of the step's own (so its
// bytes never touch the disk), with the mount's owner and mode, and that file is bind-mounted
// read-only at the target: nothing of it is in the step's snapshot or its cache key.
// An ssh agent is reached through a socket the daemon serves in the step's directory, owned and
// moded as the mount asks, that forwards each connection to the client's agent socket: the
// client's own socket keeps its owner and mode.
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { ExecMount, SecretMountOptions } from '../llb/index.js';
import { mountAll, unmountAll } from '../snapshot/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext } from './context.js';

/**
 * The step's secrets tmpfs: a bound, not a reservation (tmpfs takes only what is written), far
 * above what a step's secrets need at 500 KB each.
 */
const secretsTmpfsSize = '64m';

function missingSecret(id: string): KilnError {
  return new KilnError('NOT_FOUND', `secret ${id} not found: give it with kiln build --secret id=${id},src=<file>`);
}

/** A secret's value for a step, or undefined when it is optional and not given. */
export function secretValue(context: BuildOpContext, id: string, optional: boolean): Buffer | undefined {
  const value = context.secrets?.get(id);
  if (value === undefined && !optional) throw missingSecret(id);
  return value;
}

/** The secret files of one step, on a tmpfs mounted at first use. */
export class StepSecrets {
  private mounted = false;
  private count = 0;

  constructor(private readonly dir: string) {}

  /** The host file holding the mount's secret, or undefined when an optional one is missing. */
  async file(context: BuildOpContext, mount: ExecMount): Promise<string | undefined> {
    const options = mount.secret ?? defaults(mount);
    const value = secretValue(context, options.id, options.optional);
    if (value === undefined) return undefined;
    if (!this.mounted) {
      await mkdir(this.dir, { recursive: true });
      await mountAll([{ type: 'tmpfs', source: 'tmpfs', options: ['mode=0700', 'nosuid', 'nodev', 'noexec', `size=${secretsTmpfsSize}`] }], this.dir);
      this.mounted = true;
    }
    const path = join(this.dir, `secret-${this.count++}`);
    await writeFile(path, value, { mode: 0o600 });
    await chown(path, options.uid, options.gid);
    await chmod(path, options.mode);
    return path;
  }

  async release(): Promise<void> {
    if (this.mounted) await unmountAll(this.dir);
    this.mounted = false;
  }
}

function defaults(mount: ExecMount): SecretMountOptions {
  return { id: mount.dest, uid: 0, gid: 0, mode: 0o400, optional: false };
}

export interface AgentForward {
  socket: string;
  close(): Promise<void>;
}

/**
 * Serves `socket` for the step, forwarding to the agent of the mount's id; undefined when an
 * optional agent is not given.
 */
export async function forwardAgent(context: BuildOpContext, mount: ExecMount, socket: string): Promise<AgentForward | undefined> {
  const options = mount.ssh ?? { ...defaults(mount), id: 'default', mode: 0o600 };
  const agent = context.sshAgents?.get(options.id);
  if (agent === undefined) {
    if (options.optional) return undefined;
    throw new KilnError('NOT_FOUND', `ssh agent ${options.id} not found: give it with kiln build --ssh ${options.id === 'default' ? 'default' : `${options.id}=<socket>`}`);
  }
  const open = new Set<Socket>();
  const server: Server = createServer((conn) => {
    const upstream = createConnection(agent);
    for (const end of [conn, upstream]) {
      open.add(end);
      end.on('close', () => open.delete(end));
      end.on('error', () => {
        conn.destroy();
        upstream.destroy();
      });
    }
    conn.pipe(upstream).pipe(conn);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chown(socket, options.uid, options.gid);
  await chmod(socket, options.mode);
  return {
    socket,
    close: async () => {
      for (const end of open) end.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
