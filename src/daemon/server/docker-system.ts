// The Docker Engine API's system endpoints, as the stock docker CLI uses them before anything
// else (../shared/reference/engine-api.md §2, §3.1, §3.2): the ping that negotiates the API
// version, `GET /version` and `GET /info`. kiln speaks API 1.41, the version every recorded
// exchange is in; a client asking for an older version gets the same answers under its prefix.
//
// The ping advertises no Builder-Version: a 20.10 client that saw `2` would switch to BuildKit's
// session protocol, which kiln does not serve.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import type { ServerResponse } from 'node:http';
import { kilnVersion } from '../../util/version.js';
import { listContainers } from '../containers/list.js';
import { driverName, type ImageEngine } from '../images/engine.js';
import { sendJson, type Router } from './http.js';

export const dockerApiVersion = '1.41';
/** The oldest version both recorded clients still talk (they enforce none themselves). */
const minDockerApiVersion = '1.12';

/** Headers dockerd puts on every response; clients read them from the ping. */
export function dockerHeaders(): Record<string, string> {
  return {
    'Api-Version': dockerApiVersion,
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Server: `kiln/${kilnVersion()} (linux)`,
  };
}

/** Go's names for the machine, as dockerd reports them in /version. */
function goArch(): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
  return names[arch()] ?? arch();
}

/** `uname -m`'s name, as /info reports the architecture. */
function unameMachine(): string {
  const names: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686' };
  return names[arch()] ?? arch();
}

function operatingSystem(): { name: string; version: string } {
  try {
    const fields = new Map(readFileSync('/etc/os-release', 'utf8').split('\n').map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1).replace(/^"|"$/g, '')] as const;
    }));
    return { name: fields.get('PRETTY_NAME') ?? 'Linux', version: fields.get('VERSION_ID') ?? '' };
  } catch {
    return { name: 'Linux', version: '' };
  }
}

function ping(res: ServerResponse, withBody: boolean): void {
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Content-Length': 2,
  });
  res.end(withBody ? 'OK' : undefined);
}

function version(): Record<string, unknown> {
  const details = { ApiVersion: dockerApiVersion, MinAPIVersion: minDockerApiVersion, Os: 'linux', Arch: goArch(), KernelVersion: release(), Experimental: 'false' };
  return {
    Platform: { Name: 'kiln' },
    Components: [{ Name: 'Engine', Version: kilnVersion(), Details: details }],
    Version: kilnVersion(),
    ApiVersion: dockerApiVersion,
    MinAPIVersion: minDockerApiVersion,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: release(),
    GitCommit: '',
    GoVersion: '',
    BuildTime: '',
  };
}

async function info(engine: ImageEngine): Promise<Record<string, unknown>> {
  const [containers, images, driver] = await Promise.all([listContainers(engine), engine.images.list(), driverName(engine)]);
  const running = containers.filter((record) => record.state.status === 'running').length;
  const os = operatingSystem();
  // The capability flags are what kiln's runc runs give a container; a 20.10 client warns of
  // each one that is false or missing.
  const capable = { MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true, OomKillDisable: true, IPv4Forwarding: true, BridgeNfIptables: true, BridgeNfIp6tables: true };
  return {
    // Stable per store, as dockerd's is per daemon.
    ID: createHash('sha256').update(engine.root).digest('hex').slice(0, 32),
    Name: hostname(),
    ServerVersion: kilnVersion(),
    Containers: containers.length,
    ContainersRunning: running,
    // kiln does not pause containers.
    ContainersPaused: 0,
    ContainersStopped: containers.length - running,
    Images: new Set(images.map((record) => record.target.digest)).size,
    Driver: driver,
    DriverStatus: [],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file'] },
    ...capable,
    Debug: false,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    KernelVersion: release(),
    OperatingSystem: os.name,
    OSVersion: os.version,
    OSType: 'linux',
    Architecture: unameMachine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
    NCPU: cpus().length,
    MemTotal: totalmem(),
    DockerRootDir: engine.root,
    HttpProxy: process.env['HTTP_PROXY'] ?? '',
    HttpsProxy: process.env['HTTPS_PROXY'] ?? '',
    NoProxy: process.env['NO_PROXY'] ?? '',
    Labels: [],
    ExperimentalBuild: false,
    Runtimes: { runc: { path: 'runc' } },
    DefaultRuntime: 'runc',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false,
    Isolation: '',
    SecurityOptions: [],
    Warnings: null,
  };
}

/** The ping, /version and /info, under any version prefix the router strips. */
export function dockerSystemRoutes(router: Router, engine: ImageEngine): void {
  router
    .on('GET', /^\/_ping$/, async (_ctx, res) => ping(res, true))
    .on('HEAD', /^\/_ping$/, async (_ctx, res) => ping(res, false))
    .on('GET', /^\/version$/, async (_ctx, res) => sendJson(res, 200, version()))
    .on('GET', /^\/info$/, async (_ctx, res) => sendJson(res, 200, await info(engine)));
}
