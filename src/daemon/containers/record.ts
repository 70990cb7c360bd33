// A container as kiln records it in `<root>/containers/<id>/container.json`: what was asked
// for (image, process, network) and where its life stands. The record is the one source of
// truth `ps` and `rm` read; run.ts writes each state transition as it happens.
import type { Digest } from '../../image/index.js';
import type { MountPoint } from './mounts.js';
import type { RestartPolicy } from './restart-policy.js';
import type { PortMapping } from '../../network/index.js';

export type ContainerStatus = 'created' | 'running' | 'exited';

/**
 * none, host, or the name of the network the container joins (bridge, or a user network).
 * Records written before bridge networking hold only none or host, which still read as such.
 */
export type ContainerNetwork = string;

export interface ContainerConfig {
  /** The process as it runs: ENTRYPOINT (or --entrypoint) then CMD (or the run's arguments). */
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  network: ContainerNetwork;
  /** -p / --publish, as asked (host port 0: any free port, resolved when the run attaches). */
  ports?: PortMapping[];
  /** --rm: the container goes when its process has ended. */
  autoRemove: boolean;
  /** -i: the caller's stdin is attached. */
  openStdin: boolean;
  /** docker's StdinOnce: the end of the first attached client's input ends the container's stdin. */
  stdinOnce?: boolean;
  /** -t: the process runs with a terminal (stdout and stderr then come as one stream). */
  tty?: boolean;
  /** -v / --mount: the container's volumes and bind mounts, parsed (mounts.ts). */
  mounts?: MountPoint[];
  /** -m / --memory, in bytes. */
  memoryBytes?: number;
  /** --cpus: the CFS quota as a fraction of CPUs. */
  cpus?: number;
  /** --stop-signal or the image's STOPSIGNAL, as runc names it; SIGTERM when absent. */
  stopSignal?: string;
  /** --stop-timeout: seconds `stop` waits before SIGKILL; 10 when absent. */
  stopTimeout?: number;
  /** --restart, when not `no` (restart-policy.ts). */
  restartPolicy?: RestartPolicy;
  /** The image's labels with --label on top, as docker keeps them in Config.Labels. */
  labels?: Record<string, string>;
  /** The image's EXPOSE ports and --expose, as "80/tcp". */
  exposedPorts?: string[];
}

export interface ContainerState {
  status: ContainerStatus;
  /**
   * The process that supervises the run (in-process engine: the `kiln run` CLI). Its death
   * while the record says running is how a crash is noticed (reconcile.ts).
   */
  pid?: number;
  exitCode?: number;
  /** Why the process could not be started, as docker keeps it in State.Error. */
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  /** How often its restart policy has restarted it since it was last started by hand. */
  restartCount?: number;
  /** Stopped by hand (stop, or a kill that ends it): its restart policy is off until it is started again. */
  manuallyStopped?: boolean;
}

export interface ContainerRecord {
  /** 64 lowercase hex characters. */
  id: string;
  /** Without docker's leading slash. */
  name: string;
  /** The image as the user named it. */
  image: string;
  imageId: Digest;
  created: string;
  config: ContainerConfig;
  state: ContainerState;
}

export function commandLine(record: ContainerRecord): string {
  return [...record.config.entrypoint, ...record.config.cmd].join(' ');
}

export function shortContainerId(id: string): string {
  return id.slice(0, 12);
}
