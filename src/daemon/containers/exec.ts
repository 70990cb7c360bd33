// `exec`: one more process in a running container, as docker exec builds it: the container's
// environment with -e / --env-file on top, its user unless -u, its working directory unless -w,
// the container's capabilities. The user is resolved against the container's own /etc/passwd
// and /etc/group as they stand now, read through /proc/<init pid>/root: the rootfs is mounted
// only inside the container's mount namespace, and the container may have changed the files.
import { execFile } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { promisify } from 'node:util';
import { ociProcess, readUserDatabase, resolveUserIn, runcExec, type RunIO } from '../../executor/index.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { mergeEnv } from './process.js';
import { reconcile, runcRootOf } from './reconcile.js';
import type { ContainerRecord } from './record.js';
import { ContainerStore } from './store.js';

export interface ExecOptions {
  args: string[];
  /** -e / --env-file entries, `K=V` already expanded. */
  env?: string[];
  workingDir?: string;
  user?: string;
  detach?: boolean;
  tty?: boolean;
  /** -i: io.stdin is attached. */
  interactive?: boolean;
}

/**
 * The exec could not start its command: like docker exec, 127 when it was not found and 126
 * when it could not be run.
 */
export class ExecStartError extends KilnError {
  readonly exitStatus: 126 | 127;

  constructor(cause: KilnError) {
    super(cause.code, cause.message, { cause });
    this.exitStatus = cause.code === 'NOT_FOUND' ? 127 : 126;
  }
}

/** The container's init pid as runc knows it, the way into its root filesystem. */
async function initPid(runcRoot: string, record: ContainerRecord): Promise<number> {
  try {
    const { stdout } = await promisify(execFile)('runc', ['--root', runcRoot, 'state', record.id], { timeout: 30_000 });
    const { pid, status } = JSON.parse(stdout) as { pid?: number; status?: string };
    if (status === 'running' && pid !== undefined && pid > 0) return pid;
  } catch {
    // No runc state: the container has just ended.
  }
  throw notRunning(record);
}

function notRunning(record: ContainerRecord): KilnError {
  return new KilnError('CONFLICT', `Container ${record.id} is not running`);
}

function checkOptions(options: ExecOptions): void {
  if (options.args.length === 0) throw new KilnError('INVALID_ARGUMENT', '"exec" requires at least 2 arguments', { hint: 'kiln exec [OPTIONS] CONTAINER COMMAND [ARG...]' });
  if (options.workingDir !== undefined && !isAbsolute(options.workingDir)) {
    throw new KilnError('INVALID_ARGUMENT', `the working directory '${options.workingDir}' is invalid, it needs to be an absolute path`, { details: { flag: '--workdir' } });
  }
}

/** Runs the exec to its end (or its start, detached); the result is the process's exit code. */
export async function execInContainer(engine: ImageEngine, text: string, options: ExecOptions, io: RunIO, signal?: AbortSignal): Promise<number> {
  checkOptions(options);
  const store = new ContainerStore(engine.root);
  const record = await reconcile(store, engine.root, await store.find(text));
  if (record.state.status !== 'running') throw notRunning(record);
  const runcRoot = runcRootOf(engine.root);
  const pid = await initPid(runcRoot, record);
  const users = await readUserDatabase(`/proc/${pid}/root`);
  const user = resolveUserIn(options.user ?? record.config.user, users.passwd, users.group);
  const execProcess = ociProcess({
    args: options.args, env: mergeEnv(record.config.env, options.env ?? []),
    cwd: options.workingDir ?? record.config.workingDir, user: options.user ?? record.config.user, tty: options.tty ?? false,
  }, record.id.slice(0, 12), user);
  const { stdin, ...output } = io;
  const execIO: RunIO = options.interactive === true && stdin !== undefined ? io : output;
  try {
    const { exitCode } = await runcExec({
      id: record.id, runcRoot, process: execProcess, io: execIO, logDir: store.containerDir(record.id),
      ...(options.detach === true ? { detach: true } : {}), ...(signal === undefined ? {} : { signal }),
    });
    return exitCode;
  } catch (err) {
    if (err instanceof KilnError && (err.code === 'NOT_FOUND' || err.code === 'DENIED')) throw new ExecStartError(err);
    throw err;
  }
}
