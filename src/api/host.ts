// Where a daemon listens, shared by kilnd and the CLI so both arrive at the same socket: the
// `--host`/`-H` flag or KILN_HOST when given; otherwise a socket tied to the store root, so that
// every root has a daemon of its own (tests run many roots side by side). The default root gets
// the system's place for sockets, /run/kiln as root and $XDG_RUNTIME_DIR/kiln otherwise, as
// dockerd and rootless dockerd use; any other root keeps its socket inside itself.
import { join, resolve } from 'node:path';
import { KilnError } from '../util/errors.js';
import { builtinRoot, defaultRoot } from '../util/store-root.js';

export interface DaemonAddress {
  /** The store root the daemon owns. */
  root: string;
  /** The unix socket it listens on. */
  socketPath: string;
}

export interface HostOptions {
  /** `--host`/`-H`, e.g. `unix:///run/kiln/kiln.sock`. */
  host?: string;
  /** `--root`. */
  root?: string;
}

const socketName = 'kiln.sock';

/** The file whose exclusive creation makes a daemon the owner of `root`; it holds the daemon's pid. */
export function pidFileOf(root: string): string {
  return join(root, 'kilnd.pid');
}

/** The store root from `--root`, else $KILN_ROOT, else the built-in default. */
export function storeRoot(root: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return root ?? defaultRoot(env);
}

/** The socket path of a `unix://PATH` host; any other scheme is refused with the flag named. */
export function parseHost(host: string): string {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (path !== '') return resolve(path);
  }
  if (host.startsWith('tcp://')) {
    throw new KilnError('INVALID_ARGUMENT', `--host ${host}: the kiln CLI reaches its daemon on a unix socket`, {
      hint: 'kilnd serves TCP (with TLS client certificates) to docker clients; give kiln the daemon\'s unix://PATH',
      details: { flag: '--host' },
    });
  }
  throw new KilnError('INVALID_ARGUMENT', `--host ${host}: invalid host, expected unix://PATH`, { details: { flag: '--host' } });
}

function defaultSocket(root: string, env: NodeJS.ProcessEnv): string {
  if (resolve(root) !== resolve(builtinRoot(env))) return join(resolve(root), socketName);
  if (process.getuid?.() === 0) return join('/run/kiln', socketName);
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  return runtimeDir === undefined || runtimeDir === '' ? join(resolve(root), socketName) : join(runtimeDir, 'kiln', socketName);
}

export function resolveDaemonAddress(options: HostOptions, env: NodeJS.ProcessEnv = process.env): DaemonAddress {
  const root = storeRoot(options.root, env);
  const host = options.host ?? (env['KILN_HOST'] === '' ? undefined : env['KILN_HOST']);
  return { root, socketPath: host === undefined ? defaultSocket(root, env) : parseHost(host) };
}
