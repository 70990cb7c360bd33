// An exec op (RUN): its root input's snapshot gets a fresh active snapshot on top, runc runs the
// process there (the overlay mounted by runc inside the step's mount namespace, as for
// containers), and the snapshot is committed as the step's result. Other mounts (binds,
// caches, tmpfs, secrets, ssh agents) are exec-mounts.ts's; the mount points runc made for
// them are removed again (mount-stubs.ts). Secret variables join the env only when it runs.
//
// The cache digest is the op without what cannot change its result (selectors move to the
// inputs' cache deps), as BuildKit's ExecOp key; a failing process fails the step with
// BuildKit's message and its output's last lines, and leaves no snapshot behind.
import { join } from 'node:path';
import { digestBytes } from '../content/index.js';
import { imageUserDatabase } from '../daemon/containers/image-users.js';
import { buildSpec, resolveUserIn, runcRun, writeEtcFiles, type NetworkMode as SpecNetwork } from '../executor/index.js';
import { canonicalJson, type ExecOp, type NetworkMode } from '../llb/index.js';
import type { CacheDep, Op, VertexProgress } from '../solver/index.js';
import { KilnError } from '../util/errors.js';
import type { BuildOpContext, SnapshotRef } from './context.js';
import { prepareMounts } from './exec-mounts.js';
import { mountStubsCleaner } from './mount-stubs.js';
import { secretValue } from './secret-mounts.js';
import { StepOutput } from './step-log.js';
import { commitStep } from './step.js';

function checkMounts(op: ExecOp): number {
  const root = op.mounts.find((mount) => mount.dest === '/');
  if (root === undefined || root.kind !== 'bind' || root.output !== 0) throw new KilnError('INVALID_ARGUMENT', 'an exec op needs a root mount whose result is output 0');
  return root.input ?? -1;
}

/** The process's env with its secret variables, read when the step runs (never in the key). */
function processEnv(context: BuildOpContext, op: ExecOp): string[] {
  const secrets = (op.meta.secretEnv ?? []).flatMap(({ id, name, optional }) => {
    const value = secretValue(context, id, optional);
    return value === undefined ? [] : [{ name, value: value.toString('utf8') }];
  });
  const names = new Set(secrets.map((s) => s.name));
  return [...op.meta.env.filter((entry) => !names.has(entry.slice(0, entry.indexOf('=')))), ...secrets.map((s) => `${s.name}=${s.value}`)];
}

/**
 * `sandbox` is the host's network for now, as BuildKit's OCI worker with `--oci-worker-net=host`:
 * RUN steps reach package mirrors without a bridge of their own.
 */
function specNetwork(network: NetworkMode): SpecNetwork {
  return network === 'none' ? { mode: 'none' } : { mode: 'host' };
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
      // The bound paths entry by entry: a miss can then name the file that changed.
      contentEntries: async (ref) => {
        if (ref.context === undefined) throw new KilnError('INTERNAL', 'a local source gave no build context');
        const { context: bound } = ref;
        return (await Promise.all(selectors.map((path) => bound.entries({ paths: [path], allowWildcard: false })))).flat();
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
    exec: async (inputs, signal, progress) => {
      const parent = rootInput === -1 ? undefined : inputs[rootInput]?.snapshot;
      return [{ snapshot: await runStep(context, op, inputs, parent, signal, progress) }];
    },
  };
}

function runStep(context: BuildOpContext, op: ExecOp, inputs: SnapshotRef[], parent: string | undefined, signal: AbortSignal, progress: VertexProgress): Promise<string> {
  return commitStep(context, 'run', parent, async ({ id, dir, mounts: [mount] }) => {
    if (mount === undefined) throw new KilnError('INTERNAL', `step ${id} has no root mount`);
    const rootfs = join(dir, 'rootfs');
    const users = parent === undefined ? {} : await imageUserDatabase(context.snapshotter, parent, rootfs);
    const network = specNetwork(op.meta.network);
    const hostname = op.meta.hostname ?? 'buildkitsandbox';
    const etc = await writeEtcFiles({ dir, hostname, network, extraHosts: [] });
    const env = processEnv(context, op);
    const extraMounts = op.mounts.filter((m) => m.dest !== '/');
    const cleanStubs = await mountStubsCleaner(mount, extraMounts.map((m) => m.dest));
    const extra = await prepareMounts(context, extraMounts, inputs, dir, id);
    let exitCode: number;
    const output = await StepOutput.open(context.workDir, progress);
    try {
      const spec = buildSpec({
        process: { args: op.meta.args, env, cwd: op.meta.cwd, user: op.meta.user },
        rootfs: mount.type === 'bind' ? mount.source : rootfs,
        ...(mount.type === 'overlay' ? { rootMount: mount } : {}),
        hostname, network, mounts: [...etc, ...extra.binds],
      }, resolveUserIn(op.meta.user, users.passwd, users.group));
      ({ exitCode } = await runcRun({ id, bundleDir: join(dir, 'bundle'), spec, io: { stdout: output.stream(1), stderr: output.stream(2) }, runcRoot: context.runcRoot, signal }));
    } finally {
      await output.close();
      await extra.release();
    }
    await cleanStubs();
    if (exitCode !== 0) {
      throw new KilnError('FAILED_PRECONDITION', `process "${op.meta.args.join(' ')}" did not complete successfully: exit code: ${exitCode}`, {
        details: { log: output.lines(), command: op.meta.args.join(' '), exitCode },
        hint: `the step's whole output is in ${output.path}`,
      });
    }
  });
}
