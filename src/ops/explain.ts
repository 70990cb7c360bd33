// What an LLB step's key is made of, part by part, in the words a user knows: the facets the
// solver compares with the last build of the same step to say why it was not cached. Values
// that may hold secrets (ARG and ENV values, the command line, file contents) enter only as
// digests; what is public and short (a directory, a user, an image reference) is shown.
import { digestBytes } from '../content/index.js';
import { stepDescriptionOf, type ExecOp, type FileOp, type Op, type VertexMetadata } from '../llb/index.js';
import type { KeyFacet, StepIdentity } from '../solver/index.js';

function hashed(name: string, value: unknown): KeyFacet {
  return { name, value: digestBytes(JSON.stringify(value)) };
}

function shown(name: string, value: string): KeyFacet {
  return { name, value, shown: true };
}

function envName(entry: string): string {
  const equals = entry.indexOf('=');
  return equals < 0 ? entry : entry.slice(0, equals);
}

function execFacets(op: ExecOp, args: ReadonlySet<string>): KeyFacet[] {
  const { meta } = op;
  return [
    hashed('the command', meta.args),
    ...meta.env.map((entry) => {
      const name = envName(entry);
      return hashed(`${args.has(name) ? 'ARG' : 'ENV'} ${name}`, entry);
    }),
    shown('the working directory', meta.cwd),
    shown('the user', meta.user === '' ? 'root' : meta.user),
    shown('the network', meta.network),
    ...(meta.hostname === undefined ? [] : [shown('the hostname', meta.hostname)]),
    hashed('the mounts', op.mounts.map(({ selector, ...mount }) => [mount, selector ?? '/'])),
    ...(meta.secretEnv === undefined ? [] : [hashed('the secret variables', meta.secretEnv)]),
  ];
}

function fileFacets(op: FileOp): KeyFacet[] {
  const sources = op.actions.map((action) => {
    switch (action.kind) {
      case 'copy': return action.src;
      case 'mkfile': return [action.path, action.data];
      case 'symlink': return action.oldpath;
      default: return null;
    }
  });
  const dests = op.actions.map((action) => (action.kind === 'copy' ? action.dest : action.kind === 'symlink' ? action.newpath : action.path));
  return [
    hashed('the sources', sources),
    shown('the destination', [...new Set(dests)].join(', ')),
    hashed('the options', op.actions.map((action) => ({ ...action, ...('src' in action ? { src: null } : {}), ...('data' in action ? { data: null } : {}) }))),
  ];
}

function opFacets(op: Op, args: ReadonlySet<string>): KeyFacet[] {
  switch (op.type) {
    case 'exec':
      return execFacets(op, args);
    case 'file':
      return fileFacets(op);
    case 'source':
      return op.identifier.startsWith('docker-image://') ? [shown('the image', op.identifier.slice('docker-image://'.length))] : [];
    case 'merge':
      return [];
  }
}

/** The step a vertex is across builds, with its facets; undefined for one the frontend did not name. */
export function stepIdentity(op: Op, metadata: VertexMetadata | undefined): StepIdentity | undefined {
  const step = stepDescriptionOf(metadata);
  if (step === undefined) return undefined;
  return { id: step.id, facets: [shown('the instruction', step.instruction), ...opFacets(op, new Set(step.args ?? []))] };
}
