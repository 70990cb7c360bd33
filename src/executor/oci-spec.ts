// The subset of the OCI runtime spec (opencontainers/runtime-spec config.md and
// config-linux.md, version 1.0.2 as runc 1.1 implements it) that kiln writes into a bundle's
// config.json. Field names are the spec's JSON names; only what kiln sets is typed.

export const ociVersion = '1.0.2';

export interface OCIUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface OCICapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
}

export interface OCIRlimit {
  type: string;
  hard: number;
  soft: number;
}

export interface OCIProcess {
  terminal: boolean;
  user: OCIUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OCICapabilities;
  rlimits: OCIRlimit[];
  noNewPrivileges: boolean;
}

export interface OCIMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OCINamespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';
  /** Join this namespace instead of creating one. */
  path?: string;
}

export interface OCIDeviceRule {
  allow: boolean;
  type?: 'a' | 'b' | 'c';
  major?: number;
  minor?: number;
  access: string;
}

export interface OCIResources {
  devices: OCIDeviceRule[];
  memory?: { limit: number };
  cpu?: { quota: number; period: number };
}

export interface OCILinux {
  namespaces: OCINamespace[];
  resources: OCIResources;
  cgroupsPath?: string;
  sysctl?: Record<string, string>;
  maskedPaths: string[];
  readonlyPaths: string[];
}

export interface OCISpec {
  ociVersion: string;
  process: OCIProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OCIMount[];
  linux: OCILinux;
}
