// An exec op (RUN): its root input's snapshot gets a fresh active snapshot on top, runc runs the
// process there (the overlay mounted by runc inside the step's mount namespace, as for
// containers), and the snapshot is committed as the step's result. Other mounts (read-only
// binds, caches, tmpfs) are exec-mounts.ts's.
//
// The cache digest is the op without what cannot change its result (selectors move to the
// inputs' cache deps), as BuildKit's ExecOp key; a failing process fails the step with
// BuildKit's message and its output's last lines, and leaves no snapshot behind.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { digestBytes } from '../content/index.js';
import { imageUserDatabase } from '../daemon/containers/image-users.js';
import { buildSpec, resolveUserIn, runcRun, writeEtcFiles, type NetworkMode as SpecNetwork } from '../executor/index.js';
import { canonicalJson, type ExecOp, type NetworkMode } from '../llb/index.js';
import type { CacheDep, Op } from '../solver/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { checkExtraMount, prepareMounts } from './exec-mounts.js';
import { commitStep } from './step.js';

/** Lines of a failed step's output quoted in its error. */
const tailLines = 6;

function checkMounts(op: ExecOp): number {
  const root = op.mounts.find((mount) => mount.dest === '/');
  if (root === undefined || root.kind !== 'bind' || root.output !== 0) throw new KilnError('INVALID_ARGUMENT', 'an exec op needs a root mount whose result is output 0');
  for (const mount of op.mounts) if (mount !== root) checkExtraMount(mount);
  return root.input ?? -1;
}

/**
 * `sandbox` is the host's network for now, as BuildKit's OCI worker with `--oci-worker-net=host`:
 * RUN steps reach package mirrors without a bridge of their own.
 */
function specNetwork(network: NetworkMode): SpecNetwork {
  return network === 'none' ? { mode: 'none' } : { mode: 'host' };
}

/** Keeps the last bytes a step printed, for its error. */
class OutputTail extends Writable {
  private text = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-4096);
    done();
  }

  lines(): string[] {
    return this.text.trimEnd().split('\n').slice(-tailLines);
  }
}

/**
 * How each input enters the key: the paths its mounts select (as BuildKit's selectors); a
 * bind of the build context by the content of the selected path.
 */
function inputDeps(op: ExecOp, inputCount: number, isLocal: (input: number) => boolean): CacheDep<SnapshotRef>[] {
  return Array.from({ length: inputCount }, (_, input): CacheDep<SnapshotRef> => {
    const selectors = op.mounts.filter((mount) => mount.input === input).map((mount) => mount.selector ?? '/');
    const selector = selectors.every((s) => s === '/') ? {} : { selector: digestBytes(selectors.join('\0')) };
    if (!isLocal(input)) return selector;
    return {
      ...selector,
      contentKey: async (ref) => {
        if (ref.context === undefined) throw new KilnError('INTERNAL', 'a local source gave no build context');
        return digestBytes(JSON.stringify(await Promise.all(selectors.map((path) => ref.context?.checksum({ paths: [path], allowWildcard: false })))));
      },
    };
  });
}

export function execOp(context: BuildOpContext, op: ExecOp, inputCount: number, isLocal: (input: number) => boolean): Op<SnapshotRef> {
  const rootInput = checkMounts(op);
  return {
    outputs: 1,
    cacheMap: async () => ({
      digest: digestBytes(canonicalJson({ type: 'exec', meta: op.meta, mounts: op.mounts.map(({ selector: _selector, ...mount }) => mount) })),
      deps: inputDeps(op, inputCount, isLocal),
    }),
    exec: async (inputs, signal) => {
      const parent = rootInput === -1 ? undefined : inputs[rootInput]?.snapshot;
      return [{ snapshot: await runStep(context, op, inputs, parent, signal) }];
    },
  };
}

function runStep(context: BuildOpContext, op: ExecOp, inputs: SnapshotRef[], parent: string | undefined, signal: AbortSignal): Promise<string> {
  return commitStep(context, 'run', parent, async ({ id, dir, mounts: [mount] }) => {
    if (mount === undefined) throw new KilnError('INTERNAL', `step ${id} has no root mount`);
    const rootfs = join(dir, 'rootfs');
    const users = parent === undefined ? {} : await imageUserDatabase(context.snapshotter, parent, rootfs);
    const network = specNetwork(op.meta.network);
    const hostname = op.meta.hostname ?? 'buildkitsandbox';
    const etc = await writeEtcFiles({ dir, hostname, network, extraHosts: [] });
    const extra = await prepareMounts(context, op.mounts.filter((m) => m.dest !== '/'), inputs, dir, id);
    let exitCode: number;
    const tail = new OutputTail();
    try {
      const spec = buildSpec({
        process: { args: op.meta.args, env: op.meta.env, cwd: op.meta.cwd, user: op.meta.user },
        rootfs: mount.type === 'bind' ? mount.source : rootfs,
        ...(mount.type === 'overlay' ? { rootMount: mount } : {}),
        hostname, network, mounts: [...etc, ...extra.binds],
      }, resolveUserIn(op.meta.user, users.passwd, users.group));
      ({ exitCode } = await runcRun({ id, bundleDir: join(dir, 'bundle'), spec, io: { stdout: tail, stderr: tail }, runcRoot: context.runcRoot, signal }));
    } finally {
      await extra.release();
    }
    if (exitCode !== 0) {
      throw new KilnError('FAILED_PRECONDITION', `process "${op.meta.args.join(' ')}" did not complete successfully: exit code: ${exitCode}`, {
        details: { log: tail.lines() },
      });
    }
  });
}
