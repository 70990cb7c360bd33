// Shared by the conversion tests: plan a Dockerfile text, convert it with a fake image
// resolver (a busybox-like config, no registry), and query the marshaled definition.
import { parseDockerfile } from '../../../src/dockerfile/parser.js';
import { convertDockerfile, planBuild, type Conversion, type PlanOptions } from '../../../src/dockerfile/index.js';
import type { ImageConfig, Platform } from '../../../src/image/index.js';
import {
  customNameKey, marshal, vertexDigest, type CopyAction, type Definition, type ExecOp, type FileAction, type Vertex,
} from '../../../src/llb/index.js';

export const amd64: Platform = { os: 'linux', architecture: 'amd64' };
export const busyboxPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function busyboxConfig(extra: ImageConfig['config'] = {}): ImageConfig {
  return {
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-01T00:00:00Z',
    config: { Env: [`PATH=${busyboxPath}`], Cmd: ['sh'], ...extra },
    rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(64)}`] },
    history: [
      { created_by: '/bin/sh -c #(nop) ADD file:1234 in / ' },
      { created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    ],
  };
}

export const pinned = (name: string): string => `docker.io/library/${name}:latest@sha256:${'b'.repeat(64)}`;

export interface Converted {
  conversion: Conversion;
  def: Definition;
  /** The references the converter asked the resolver for. */
  resolved: string[];
}

export async function convert(
  text: string,
  options: { plan?: PlanOptions; config?: ImageConfig['config']; noCache?: boolean } = {},
): Promise<Converted> {
  const plan = planBuild(parseDockerfile(text), { buildPlatform: amd64, env: {}, ...options.plan });
  const resolved: string[] = [];
  const conversion = await convertDockerfile(plan, {
    resolveImage: async (ref) => {
      resolved.push(ref);
      return { ref: pinned(ref), config: busyboxConfig(options.config) };
    },
    ...(options.noCache === undefined ? {} : { noCache: options.noCache }),
  });
  return { conversion, def: marshal(conversion.state), resolved };
}

export function execs(def: Definition): ExecOp[] {
  return def.vertices.flatMap((v) => (v.op.type === 'exec' ? [v.op] : []));
}

export function fileActionsOf(def: Definition): FileAction[][] {
  return def.vertices.flatMap((v) => (v.op.type === 'file' ? [v.op.actions] : []));
}

export function copies(def: Definition): CopyAction[] {
  return fileActionsOf(def).flat().filter((a): a is CopyAction => a.kind === 'copy');
}

export function nameOf(def: Definition, vertex: Vertex): string | undefined {
  return def.metadata[vertexDigest(vertex)]?.description?.[customNameKey];
}

/** The custom names of the vertices, in definition order (unnamed ones left out). */
export function names(def: Definition): string[] {
  return def.vertices.flatMap((v) => {
    const name = nameOf(def, v);
    return name === undefined ? [] : [name];
  });
}

export function createdBy(conversion: Conversion): string[] {
  return conversion.history.map((h) => `${h.created_by ?? ''}${h.empty_layer === true ? ' (empty)' : ''}`);
}
