// RUN --mount (BuildKit's dispatchRunMounts, dispatchSecret and dispatchSSH): each parsed mount
// as an LLB mount of the exec op.
// - bind: the build context, or the stage or image named by `from=`, at `source` (default /);
//   `rw` lets the process write, but the writes are thrown away after the step.
// - cache: persistent by id (default: the target); `from=`/`source=` seed it when it is first
//   made; uid, gid and mode apply to the directory then.
// - tmpfs: a fresh tmpfs of `size` bytes at most.
// - secret: the client's secret `id` as a file (default /run/secrets/<id>) and/or, with `env=`,
//   an environment variable; missing is an error only with `required`.
// - ssh: the client's ssh agent `id` (default `default`) as a socket; without a target it is
//   /run/buildkit/ssh_agent.N and SSH_AUTH_SOCK names the first one.
import { posix } from 'node:path';
import type { RunMount, SecretEnv, State } from '../../llb/index.js';
import type { Mount } from '../instructions/index.js';
import { invalidAt, type SourceText } from './errors.js';

export interface RunMounts {
  mounts: RunMount[];
  secretEnv: SecretEnv[];
  /** Variables the mounts set for the process (SSH_AUTH_SOCK). */
  env: Record<string, string>;
}

/** The sources a RUN's mounts read: the context, and the `from=` States in mount order. */
export interface MountSources {
  context: State;
  from: readonly State[];
}

export function convertRunMounts(mounts: readonly Mount[], sources: MountSources, src: SourceText): RunMounts {
  const result: RunMounts = { mounts: [], secretEnv: [], env: {} };
  let fromUsed = 0;
  let sshCount = 0;
  const fromState = (mount: Mount): State | undefined => {
    if (!mount.from) return undefined;
    const state = sources.from[fromUsed++];
    if (state === undefined) throw invalidAt(src, mount.range, `--mount from=${mount.from}: the stage or image was not planned`);
    return state;
  };
  for (const mount of mounts) {
    const dest = mount.target ?? '';
    switch (mount.type) {
      case 'cache': {
        const from = fromState(mount);
        result.mounts.push({
          kind: 'cache', dest, id: mount.id ?? dest,
          ...(mount.sharing === undefined ? {} : { sharing: mount.sharing }),
          ...(from === undefined ? {} : { from, selector: mount.source ?? '/' }),
          ...owner(mount),
        });
        break;
      }
      case 'tmpfs':
        result.mounts.push({ kind: 'tmpfs', dest, ...(mount.sizeLimit > 0 ? { size: mount.sizeLimit } : {}) });
        break;
      case 'bind':
        result.mounts.push({
          kind: 'bind', dest, from: fromState(mount) ?? sources.context, selector: mount.source ?? '/', readonly: mount.readOnly,
          ...(mount.readOnly ? {} : { noOutput: true }),
        });
        break;
      case 'secret':
        addSecret(result, mount, src);
        break;
      case 'ssh': {
        const target = mount.target ?? `/run/buildkit/ssh_agent.${sshCount}`;
        if (mount.target === undefined && result.env['SSH_AUTH_SOCK'] === undefined) result.env['SSH_AUTH_SOCK'] = target;
        sshCount++;
        result.mounts.push({ kind: 'ssh', dest: target, id: mount.id || 'default', optional: !mount.required, mode: mount.mode ?? 0o600, ...owner(mount) });
        break;
      }
    }
  }
  return result;
}

function owner(mount: Mount): { uid?: number; gid?: number; mode?: number } {
  return {
    ...(mount.uid === undefined ? {} : { uid: mount.uid }),
    ...(mount.gid === undefined ? {} : { gid: mount.gid }),
    ...(mount.mode === undefined ? {} : { mode: mount.mode }),
  };
}

/** BuildKit's dispatchSecret: the id defaults to the target's base name. */
function addSecret(result: RunMounts, mount: Mount, src: SourceText): void {
  const id = mount.id || mount.source || (mount.target === undefined ? '' : posix.basename(mount.target));
  if (id === '') throw invalidAt(src, mount.range, 'invalid secret mount: one of id, source or target is required');
  const optional = !mount.required;
  if (mount.env !== undefined) result.secretEnv.push({ id, name: mount.env, optional });
  // With env= alone the secret is only a variable; a target asks for the file as well.
  if (mount.env !== undefined && mount.target === undefined) return;
  const dest = mount.target ?? `/run/secrets/${posix.basename(id)}`;
  result.mounts.push({ kind: 'secret', dest, id, optional, ...owner(mount) });
}
