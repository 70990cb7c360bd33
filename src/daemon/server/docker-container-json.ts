// A kiln container record in the Engine API's shapes: the ContainerJSON of `GET
// /containers/{id}/json` (every key a `docker inspect --format` template may touch, so templates
// never fail on a missing one) and the summary `GET /containers/json` lists, with docker's
// "Up 2 seconds" / "Exited (3) 1 minute ago" status text. Names carry docker's leading slash:
// the CLI cuts the first character of each.
import { containerStatusText } from '../../cli/units.js';
import { containerJson } from '../containers/inspect.js';
import { logPathOf } from '../containers/log-file.js';
import type { MountPoint } from '../containers/mounts.js';
import { networkSettings, runningEndpoint } from '../containers/network-settings.js';
import type { ContainerRecord } from '../containers/record.js';
import type { ContainerStore } from '../containers/store.js';
import { VolumeStore } from '../volumes/store.js';

/** HostConfig.NetworkMode as docker shows it: the default bridge is "default". */
function networkMode(record: ContainerRecord): string {
  return record.config.network === 'bridge' ? 'default' : record.config.network;
}

function mountsJson(root: string, mounts: MountPoint[] | undefined): Record<string, unknown>[] {
  const volumes = new VolumeStore(root);
  return (mounts ?? []).map((mount) => mount.type === 'bind'
    ? { Type: 'bind', Source: mount.source, Destination: mount.destination, Mode: mount.readonly ? 'ro' : '', RW: !mount.readonly, Propagation: 'rprivate' }
    : { Type: 'volume', Name: mount.name, Source: volumes.dataDir(mount.name), Destination: mount.destination, Driver: 'local', Mode: mount.readonly ? 'ro' : '', RW: !mount.readonly, Propagation: '' });
}

/** Docker's -v strings for the record's mounts, as HostConfig.Binds keeps them. */
function bindsOf(mounts: MountPoint[] | undefined): string[] | null {
  const binds = (mounts ?? []).flatMap((mount) => {
    if (mount.type === 'volume' && mount.anonymous) return [];
    const source = mount.type === 'bind' ? mount.source : mount.name;
    return [`${source}:${mount.destination}${mount.readonly ? ':ro' : ''}`];
  });
  return binds.length === 0 ? null : binds;
}

function exposedPortsOf(record: ContainerRecord): Record<string, object> | null {
  const ports = record.config.exposedPorts ?? [];
  return ports.length === 0 ? null : Object.fromEntries(ports.map((port) => [port, {}]));
}

function hostConfig(record: ContainerRecord, portBindings: unknown): Record<string, unknown> {
  const { config } = record;
  return {
    Binds: bindsOf(config.mounts), ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: networkMode(record),
    PortBindings: portBindings, RestartPolicy: { Name: config.restartPolicy?.name ?? 'no', MaximumRetryCount: config.restartPolicy?.maximumRetryCount ?? 0 }, AutoRemove: config.autoRemove, VolumeDriver: '',
    VolumesFrom: null, CapAdd: null, CapDrop: null, Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null,
    IpcMode: 'private', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false,
    SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 67108864, Runtime: 'runc', ConsoleSize: [0, 0], Isolation: '',
    CpuShares: 0, Memory: config.memoryBytes ?? 0, NanoCpus: config.cpus === undefined ? 0 : Math.round(config.cpus * 1e9),
    CgroupParent: '', CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '', CpusetMems: '', Devices: [], MemoryReservation: 0, MemorySwap: 0,
    MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, Ulimits: null, MaskedPaths: null, ReadonlyPaths: null,
    Mounts: null,
  };
}

function configJson(record: ContainerRecord, base: Record<string, unknown>): Record<string, unknown> {
  const { config } = record;
  const tty = config.tty ?? false;
  return {
    ...base,
    Domainname: '',
    AttachStdin: config.openStdin, AttachStdout: true, AttachStderr: true,
    ExposedPorts: exposedPortsOf(record),
    Tty: tty,
    StdinOnce: config.stdinOnce ?? false,
    Volumes: null,
    OnBuild: null,
    Labels: config.labels ?? {},
    ...(config.stopSignal === undefined ? {} : { StopSignal: config.stopSignal.replace(/^SIG/, '') }),
    ...(config.stopTimeout === undefined ? {} : { StopTimeout: config.stopTimeout }),
  };
}

/** `GET /containers/{id}/json`: kiln's inspect with the rest of docker's ContainerJSON. */
export async function dockerContainerJson(root: string, store: ContainerStore, record: ContainerRecord): Promise<Record<string, unknown>> {
  const dir = store.containerDir(record.id);
  const network = await networkSettings(root, record);
  const base = containerJson(record, logPathOf(dir, record.id), network);
  return {
    ...base,
    ResolvConfPath: `${dir}/resolv.conf`, HostnamePath: `${dir}/hostname`, HostsPath: `${dir}/hosts`,
    RestartCount: record.state.restartCount ?? 0, Driver: 'overlay2', Platform: 'linux', MountLabel: '', ProcessLabel: '', AppArmorProfile: '', ExecIDs: null,
    HostConfig: hostConfig(record, network.portBindings),
    GraphDriver: { Data: null, Name: 'overlay2' },
    Mounts: mountsJson(root, record.config.mounts),
    Config: configJson(record, base['Config'] as Record<string, unknown>),
    NetworkSettings: {
      HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, SandboxID: '', SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
      EndpointID: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPv6Gateway: '',
      ...network.settings,
    },
  };
}

/** The PORTS of `docker ps`: published ports of a running container, else what it exposes. */
function portsJson(record: ContainerRecord, published: { hostIP?: string; hostPort: number; containerPort: number; protocol: string }[]): Record<string, unknown>[] {
  if (published.length > 0) {
    return published.map((port) => ({ IP: port.hostIP ?? '0.0.0.0', PrivatePort: port.containerPort, PublicPort: port.hostPort, Type: port.protocol }));
  }
  return (record.config.exposedPorts ?? []).map((port) => {
    const [number = '', protocol = 'tcp'] = port.split('/');
    return { PrivatePort: Number(number), Type: protocol };
  });
}

/** dockerd's COMMAND: the arguments that hold a space in single quotes, nothing else escaped. */
function displayCommand(record: ContainerRecord): string {
  return [...record.config.entrypoint, ...record.config.cmd].map((arg, at) => (at > 0 && arg.includes(' ') ? `'${arg}'` : arg)).join(' ');
}

/** One entry of `GET /containers/json`. */
export async function dockerContainerSummary(root: string, record: ContainerRecord, now: number): Promise<Record<string, unknown>> {
  const endpoint = await runningEndpoint(root, record);
  const network = await networkSettings(root, record);
  return {
    Id: record.id,
    Names: [`/${record.name}`],
    Image: record.image,
    ImageID: record.imageId,
    Command: displayCommand(record),
    Created: Math.floor(Date.parse(record.created) / 1000),
    Ports: portsJson(record, endpoint?.ports ?? []),
    Labels: record.config.labels ?? {},
    State: record.state.status,
    Status: containerStatusText(record.state, now),
    HostConfig: { NetworkMode: networkMode(record) },
    NetworkSettings: { Networks: network.settings['Networks'] },
    Mounts: mountsJson(root, record.config.mounts),
  };
}
