// The shape of untrusted ops: every field typed, nothing unknown, a fresh object built from the
// fields read so that what is digested is exactly what was checked. Whether indices point
// anywhere sensible is structure.ts's concern.
import type { Platform } from '../image/index.js';
import {
  array, bool, nullableIndex, oneOf, onlyKeys, optStr, optStrArray, optUint, record, ShapeError, str,
  strArray, strRecord, uint, type JsonRecord,
} from './fields.js';
import type {
  ExecMount, ExecOp, FileAction, FileActionIO, FileOp, FileOwner, Op, SecretEnv, SecretMountOptions, SourceOp,
} from './ops.js';

const opTypes = ['source', 'exec', 'file', 'merge'] as const;
const mountKinds = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'] as const;
const actionKinds = ['copy', 'mkfile', 'mkdir', 'rm', 'symlink'] as const;

export function readOp(value: unknown, where: string): Op {
  const obj = record(value, where);
  const type = obj.type;
  if (typeof type !== 'string' || !(opTypes as readonly string[]).includes(type)) {
    throw new ShapeError(`${where} has unknown op type ${JSON.stringify(type)} (known: ${opTypes.join(', ')})`);
  }
  switch (type as Op['type']) {
    case 'source': return readSource(obj, where);
    case 'exec': return readExec(obj, where);
    case 'file': return readFile(obj, where);
    case 'merge':
      onlyKeys(obj, ['type'], where);
      return { type: 'merge' };
  }
}

function readSource(obj: JsonRecord, where: string): SourceOp {
  onlyKeys(obj, ['type', 'identifier', 'attrs'], where);
  return { type: 'source', identifier: str(obj, 'identifier', where), attrs: strRecord(obj, 'attrs', where) };
}

function readExec(obj: JsonRecord, where: string): ExecOp {
  onlyKeys(obj, ['type', 'meta', 'mounts'], where);
  const metaWhere = `${where}.meta`;
  const meta = record(obj.meta, metaWhere);
  onlyKeys(meta, ['args', 'env', 'cwd', 'user', 'hostname', 'network', 'secretEnv'], metaWhere);
  const hostname = optStr(meta, 'hostname', metaWhere);
  const secretEnv = meta.secretEnv === undefined ? undefined : array(meta, 'secretEnv', metaWhere).map((e, i) => readSecretEnv(e, `${metaWhere}.secretEnv[${i}]`));
  return {
    type: 'exec',
    meta: {
      args: strArray(meta, 'args', metaWhere),
      env: strArray(meta, 'env', metaWhere),
      cwd: str(meta, 'cwd', metaWhere),
      user: str(meta, 'user', metaWhere),
      ...(hostname === undefined ? {} : { hostname }),
      network: oneOf(meta, 'network', ['sandbox', 'host', 'none'], metaWhere),
      ...(secretEnv === undefined ? {} : { secretEnv }),
    },
    mounts: array(obj, 'mounts', where).map((m, i) => readMount(m, `${where}.mounts[${i}]`)),
  };
}

function readMount(value: unknown, where: string): ExecMount {
  const obj = record(value, where);
  onlyKeys(obj, ['input', 'selector', 'dest', 'output', 'readonly', 'kind', 'cache', 'tmpfs', 'secret', 'ssh'], where);
  const kind = oneOf(obj, 'kind', mountKinds, where);
  const selector = optStr(obj, 'selector', where);
  // Options belong to their own kind only: a cache id on a bind mount would be a silent no-op.
  for (const other of ['cache', 'tmpfs', 'secret', 'ssh'] as const) {
    if (other !== kind && obj[other] !== undefined) throw new ShapeError(`${where}.${other} is only for ${other} mounts`);
  }
  const mount: ExecMount = {
    input: nullableIndex(obj, 'input', where),
    ...(selector === undefined ? {} : { selector }),
    dest: str(obj, 'dest', where),
    output: nullableIndex(obj, 'output', where),
    readonly: bool(obj, 'readonly', where),
    kind,
  };
  if (kind === 'cache') mount.cache = readCache(obj.cache, `${where}.cache`);
  if (kind === 'tmpfs') mount.tmpfs = readTmpfs(obj.tmpfs, `${where}.tmpfs`);
  if (kind === 'secret') mount.secret = readSecret(obj.secret, `${where}.secret`);
  if (kind === 'ssh') mount.ssh = readSecret(obj.ssh, `${where}.ssh`);
  return mount;
}

function readSecretEnv(value: unknown, where: string): SecretEnv {
  const obj = record(value, where);
  onlyKeys(obj, ['id', 'name', 'optional'], where);
  return { id: str(obj, 'id', where), name: str(obj, 'name', where), optional: bool(obj, 'optional', where) };
}

function readCache(value: unknown, where: string): NonNullable<ExecMount['cache']> {
  const obj = record(value, where);
  onlyKeys(obj, ['id', 'sharing', 'uid', 'gid', 'mode'], where);
  const owner = { uid: optUint(obj, 'uid', where), gid: optUint(obj, 'gid', where), mode: optUint(obj, 'mode', where) };
  return {
    id: str(obj, 'id', where), sharing: oneOf(obj, 'sharing', ['shared', 'private', 'locked'], where),
    ...(owner.uid === undefined ? {} : { uid: owner.uid }),
    ...(owner.gid === undefined ? {} : { gid: owner.gid }),
    ...(owner.mode === undefined ? {} : { mode: owner.mode }),
  };
}

function readTmpfs(value: unknown, where: string): NonNullable<ExecMount['tmpfs']> {
  const obj = record(value, where);
  onlyKeys(obj, ['size'], where);
  return { size: uint(obj, 'size', where) };
}

function readSecret(value: unknown, where: string): SecretMountOptions {
  const obj = record(value, where);
  onlyKeys(obj, ['id', 'uid', 'gid', 'mode', 'optional'], where);
  return {
    id: str(obj, 'id', where),
    uid: uint(obj, 'uid', where),
    gid: uint(obj, 'gid', where),
    mode: uint(obj, 'mode', where),
    optional: bool(obj, 'optional', where),
  };
}

function readFile(obj: JsonRecord, where: string): FileOp {
  onlyKeys(obj, ['type', 'actions'], where);
  return { type: 'file', actions: array(obj, 'actions', where).map((a, i) => readAction(a, `${where}.actions[${i}]`)) };
}

const ioKeys = ['kind', 'input', 'secondaryInput', 'output'];
const actionKeys: Record<FileAction['kind'], readonly string[]> = {
  copy: [...ioKeys, 'src', 'dest', 'owner', 'mode', 'modeStr', 'followSymlinks', 'dirContentsOnly', 'attemptUnpack',
    'createDestPath', 'allowWildcard', 'allowEmptyWildcard', 'includePatterns', 'excludePatterns', 'timestamp'],
  mkfile: [...ioKeys, 'path', 'mode', 'data', 'owner', 'timestamp'],
  mkdir: [...ioKeys, 'path', 'mode', 'makeParents', 'owner', 'timestamp'],
  rm: [...ioKeys, 'path', 'allowNotFound', 'allowWildcard'],
  symlink: [...ioKeys, 'oldpath', 'newpath', 'owner', 'timestamp'],
};

function readAction(value: unknown, where: string): FileAction {
  const obj = record(value, where);
  const kind = oneOf(obj, 'kind', actionKinds, where);
  onlyKeys(obj, actionKeys[kind], where);
  const io: FileActionIO = {
    input: nullableIndex(obj, 'input', where),
    secondaryInput: nullableIndex(obj, 'secondaryInput', where),
    output: nullableIndex(obj, 'output', where),
  };
  const owner = obj.owner === undefined ? undefined : readOwner(obj.owner, `${where}.owner`);
  const timestamp = optUint(obj, 'timestamp', where);
  const extras = { ...(owner === undefined ? {} : { owner }), ...(timestamp === undefined ? {} : { timestamp }) };
  switch (kind) {
    case 'copy': {
      const mode = optUint(obj, 'mode', where);
      const modeStr = obj.modeStr === undefined ? undefined : str(obj, 'modeStr', where);
      return {
        kind, ...io, src: str(obj, 'src', where), dest: str(obj, 'dest', where), ...extras,
        ...(mode === undefined ? {} : { mode }),
        ...(modeStr === undefined ? {} : { modeStr }),
        followSymlinks: bool(obj, 'followSymlinks', where),
        dirContentsOnly: bool(obj, 'dirContentsOnly', where),
        attemptUnpack: bool(obj, 'attemptUnpack', where),
        createDestPath: bool(obj, 'createDestPath', where),
        allowWildcard: bool(obj, 'allowWildcard', where),
        allowEmptyWildcard: bool(obj, 'allowEmptyWildcard', where),
        includePatterns: strArray(obj, 'includePatterns', where),
        excludePatterns: strArray(obj, 'excludePatterns', where),
      };
    }
    case 'mkfile':
      return { kind, ...io, path: str(obj, 'path', where), mode: uint(obj, 'mode', where), data: str(obj, 'data', where), ...extras };
    case 'mkdir':
      return { kind, ...io, path: str(obj, 'path', where), mode: uint(obj, 'mode', where), makeParents: bool(obj, 'makeParents', where), ...extras };
    case 'rm':
      if (owner !== undefined || timestamp !== undefined) throw new ShapeError(`${where}: rm takes no owner or timestamp`);
      return { kind, ...io, path: str(obj, 'path', where), allowNotFound: bool(obj, 'allowNotFound', where), allowWildcard: bool(obj, 'allowWildcard', where) };
    case 'symlink':
      return { kind, ...io, oldpath: str(obj, 'oldpath', where), newpath: str(obj, 'newpath', where), ...extras };
  }
}

function readOwner(value: unknown, where: string): FileOwner {
  const obj = record(value, where);
  onlyKeys(obj, ['user', 'group'], where);
  const user = readId(obj, 'user', where);
  return obj.group === undefined ? { user } : { user, group: readId(obj, 'group', where) };
}

function readId(obj: JsonRecord, key: string, where: string): number | string {
  if (typeof obj[key] === 'string') return str(obj, key, where);
  return uint(obj, key, where);
}

export function readPlatform(value: unknown, where: string): Platform {
  const obj = record(value, where);
  onlyKeys(obj, ['os', 'architecture', 'variant', 'osVersion', 'osFeatures'], where);
  const variant = optStr(obj, 'variant', where);
  const osVersion = optStr(obj, 'osVersion', where);
  const osFeatures = optStrArray(obj, 'osFeatures', where);
  return {
    os: str(obj, 'os', where),
    architecture: str(obj, 'architecture', where),
    ...(variant === undefined ? {} : { variant }),
    ...(osVersion === undefined ? {} : { osVersion }),
    ...(osFeatures === undefined ? {} : { osFeatures }),
  };
}
