// `container inspect`: a record in the shape of docker's ContainerJSON, the fields scripts read.
import type { ImageEngine } from '../images/engine.js';
import { logPathOf } from './log-file.js';
import { networkSettings } from './network-settings.js';
import { reconcile } from './reconcile.js';
import type { ContainerRecord } from './record.js';
import { ContainerStore } from './store.js';

type ContainerNetworkView = Awaited<ReturnType<typeof networkSettings>>;

/** docker's zero time, for a start or finish that has not happened. */
const zeroTime = '0001-01-01T00:00:00Z';

export function containerJson(record: ContainerRecord, logPath: string, network: ContainerNetworkView): Record<string, unknown> {
  const { config, state } = record;
  const [path, ...args] = [...config.entrypoint, ...config.cmd];
  const running = state.status === 'running';
  return {
    Id: record.id,
    Created: record.created,
    Path: path ?? '',
    Args: args,
    State: {
      Status: state.status,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? state.pid ?? 0 : 0,
      ExitCode: state.exitCode ?? 0,
      Error: state.error ?? '',
      StartedAt: state.startedAt ?? zeroTime,
      FinishedAt: state.finishedAt ?? zeroTime,
    },
    Image: record.imageId,
    LogPath: logPath,
    Name: `/${record.name}`,
    HostConfig: { AutoRemove: config.autoRemove, NetworkMode: config.network, PortBindings: network.portBindings, LogConfig: { Type: 'json-file', Config: {} } },
    Config: {
      Hostname: record.id.slice(0, 12),
      User: config.user,
      OpenStdin: config.openStdin,
      Env: config.env,
      Cmd: config.cmd,
      Image: record.image,
      WorkingDir: config.workingDir,
      Entrypoint: config.entrypoint.length === 0 ? null : config.entrypoint,
    },
    NetworkSettings: network.settings,
  };
}

export async function inspectContainer(engine: ImageEngine, text: string): Promise<Record<string, unknown>> {
  const store = new ContainerStore(engine.root);
  const record = await reconcile(store, engine.root, await store.find(text));
  return containerJson(record, logPathOf(store.containerDir(record.id), record.id), await networkSettings(engine.root, record));
}
