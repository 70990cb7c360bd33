// Building exec ops: a RUN's process, environment and mounts. The root filesystem is the mount
// at "/" and output 0; every other writable bind mount gets the next output, so a later step
// can read what the process wrote there (ExecState.mountOutput).
import { KilnError } from '../util/errors.js';
import type { CacheSharing, ExecMeta, ExecMount, NetworkMode, SecretEnv } from './ops.js';
import { InputList, OpNode, resolvePath, type NodeOutput, type StateProps } from './node.js';

/** The PATH BuildKit gives a process whose environment names none (system.DefaultPathEnv). */
export const defaultPathEnv = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Anything holding a filesystem output; a State is one. */
export interface HasOutput {
  readonly output: NodeOutput | null;
}

/**
 * A mount of a RUN; relative `dest` paths are taken from the run's working directory. `from` is
 * the State mounted (the empty filesystem when absent) and `selector` a path inside it.
 */
export type RunMount =
  | { kind?: 'bind'; dest: string; from?: HasOutput; selector?: string; readonly?: boolean; noOutput?: boolean }
  | { kind: 'cache'; dest: string; id: string; sharing?: CacheSharing; from?: HasOutput; selector?: string; uid?: number; gid?: number; mode?: number }
  | { kind: 'tmpfs'; dest: string; size?: number }
  | { kind: 'secret'; dest: string; id: string; uid?: number; gid?: number; mode?: number; optional?: boolean }
  | { kind: 'ssh'; dest: string; id?: string; uid?: number; gid?: number; mode?: number; optional?: boolean };

export interface ExecRequest {
  args: string[];
  /** Added to (or replacing) the State's environment for this process only. */
  env?: Record<string, string>;
  /** Secrets the process gets as environment variables. */
  secretEnv?: SecretEnv[];
  cwd?: string;
  user?: string;
  hostname?: string;
  network?: NetworkMode;
  mounts?: RunMount[];
}

export interface BuiltExec {
  node: OpNode;
  /** The process's working directory, which relative mount destinations start from. */
  cwd: string;
  /** Mount destinations (resolved) to the op output holding their final contents. */
  outputs: Map<string, number>;
}

export function buildExec(root: NodeOutput | null, props: StateProps, request: ExecRequest): BuiltExec {
  if (request.args.length === 0) throw new KilnError('INVALID_ARGUMENT', 'a run needs a command: args is empty');
  const meta = execMeta(props, request);
  const inputs = new InputList();
  const outputs = new Map<string, number>([['/', 0]]);
  const mounts: ExecMount[] = [{ input: inputs.add(root), dest: '/', output: 0, readonly: false, kind: 'bind' }];
  for (const mount of request.mounts ?? []) {
    const built = execMount(mount, meta.cwd, inputs);
    if (mounts.some((m) => m.dest === built.dest)) {
      throw new KilnError('INVALID_ARGUMENT', `two mounts at ${built.dest}`);
    }
    // A writable bind whose writes are thrown away (BuildKit's ForceNoOutput) has no output.
    const discardsWrites = (mount.kind === undefined || mount.kind === 'bind') && mount.noOutput === true;
    if (built.kind === 'bind' && !built.readonly && !discardsWrites) {
      built.output = outputs.size;
      outputs.set(built.dest, built.output);
    }
    mounts.push(built);
  }
  const node = new OpNode({ type: 'exec', meta, mounts }, inputs.outputs, props.platform);
  return { node, cwd: meta.cwd, outputs };
}

function execMeta(props: StateProps, request: ExecRequest): ExecMeta {
  const env = new Map(props.env);
  for (const [key, value] of Object.entries(request.env ?? {})) env.set(key, value);
  if (!env.has('PATH')) env.set('PATH', defaultPathEnv);
  const hostname = request.hostname ?? props.hostname;
  return {
    args: [...request.args],
    env: [...env].map(([key, value]) => `${key}=${value}`),
    cwd: resolvePath(props.cwd, request.cwd ?? '.'),
    user: request.user ?? props.user,
    ...(hostname === undefined ? {} : { hostname }),
    network: request.network ?? props.network ?? 'sandbox',
    ...(request.secretEnv === undefined || request.secretEnv.length === 0 ? {} : { secretEnv: request.secretEnv.map((e) => ({ ...e })) }),
  };
}

function execMount(mount: RunMount, cwd: string, inputs: InputList): ExecMount {
  const dest = resolvePath(cwd, mount.dest);
  switch (mount.kind) {
    case undefined:
    case 'bind':
      return { ...mountInput(mount, inputs), dest, output: null, readonly: mount.readonly ?? false, kind: 'bind' };
    case 'cache':
      return {
        ...mountInput(mount, inputs), dest, output: null, readonly: false, kind: 'cache',
        cache: {
          id: mount.id, sharing: mount.sharing ?? 'shared',
          ...(mount.uid === undefined ? {} : { uid: mount.uid }),
          ...(mount.gid === undefined ? {} : { gid: mount.gid }),
          ...(mount.mode === undefined ? {} : { mode: mount.mode }),
        },
      };
    case 'tmpfs':
      return { input: null, dest, output: null, readonly: false, kind: 'tmpfs', tmpfs: { size: mount.size ?? 0 } };
    case 'secret':
      return { input: null, dest, output: null, readonly: true, kind: 'secret', secret: secretOptions(mount, mount.id, 0o400) };
    case 'ssh':
      return { input: null, dest, output: null, readonly: true, kind: 'ssh', ssh: secretOptions(mount, mount.id ?? 'default', 0o600) };
  }
}

function mountInput(mount: { from?: HasOutput; selector?: string }, inputs: InputList): Pick<ExecMount, 'input' | 'selector'> {
  const input = inputs.add(mount.from?.output ?? null);
  return mount.selector === undefined ? { input } : { input, selector: mount.selector };
}

function secretOptions(
  mount: { uid?: number; gid?: number; mode?: number; optional?: boolean },
  id: string,
  defaultMode: number,
): NonNullable<ExecMount['secret']> {
  return { id, uid: mount.uid ?? 0, gid: mount.gid ?? 0, mode: mount.mode ?? defaultMode, optional: mount.optional ?? false };
}
