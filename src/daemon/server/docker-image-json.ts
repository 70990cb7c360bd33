// Local images in the shapes of the Docker Engine API (engine-api.md §3.5, §3.6, §5): the
// summary `GET /images/json` and `/system/df` list, and the object `GET /images/{name}/json`
// answers, which `kiln image inspect` prints too. The docker CLI evaluates `--format`
// templates on the raw JSON, where a missing key is an error, so every standard key is always
// there, as null, "", [] or {} when the image says nothing.
//
// Sizes are what the store holds (compressed layers and the config), not unpacked sizes:
// kiln keeps layers as blobs and unpacks them only for runs and builds.
import type { ExecutionConfig } from '../../image/types.js';
import { familiarName, parseReference } from '../../registry/reference.js';
import { createdTime, isDangling, repoDigests, type LocalImage } from '../images/local.js';

/** Bytes the image's blobs take: its config and layers. */
export function imageSize(image: LocalImage): number {
  return image.manifest.layers.reduce((sum, layer) => sum + layer.size, image.configDesc.size);
}

/** Tagged names, in docker's short form, sorted. */
export function imageRepoTags(image: LocalImage): string[] {
  const tags = image.records.flatMap((record) => {
    const ref = parseReference(record.name);
    return ref.tag === undefined || isDangling(record.name) ? [] : [familiarName(ref)];
  });
  return [...new Set(tags)].sort();
}

/** `repo@sha256:…` per registry repository the image was pulled from or pushed to, short form. */
export function imageRepoDigests(image: LocalImage): string[] {
  const named = image.records.filter((r) => !isDangling(r.name) && parseReference(r.name).digest !== undefined).map((r) => r.name);
  const digests = [...repoDigests(image), ...named].map((text) => {
    const at = text.indexOf('@');
    const ref = parseReference(text.slice(0, at).replace(/:[^/:]*$/, ''));
    return `${familiarName({ domain: ref.domain, path: ref.path })}${text.slice(at)}`;
  });
  return [...new Set(digests)].sort();
}

/** Whether nothing names the image but its dangling record: docker's `<none>:<none>`. */
export function isDanglingImage(image: LocalImage): boolean {
  return image.records.every((record) => isDangling(record.name));
}

export interface SummaryOptions {
  /** The names to show, when a filter narrowed them; default all of them. */
  repoTags?: string[];
  repoDigests?: string[];
  /** Containers using the image; -1 (default) when not counted: docker counts only for /system/df. */
  containers?: number;
  /** Bytes of blobs the image shares with other images; -1 (default) when not counted. */
  sharedSize?: number;
}

/** One entry of `GET /images/json`; dangling images show as `<none>:<none>`. */
export function imageSummary(image: LocalImage, options: SummaryOptions = {}): Record<string, unknown> {
  const dangling = isDanglingImage(image);
  const digests = options.repoDigests ?? imageRepoDigests(image);
  const size = imageSize(image);
  return {
    Containers: options.containers ?? -1,
    Created: Math.floor(createdTime(image) / 1000),
    Id: image.id,
    Labels: image.config.config?.Labels ?? null,
    ParentId: '',
    RepoDigests: dangling ? ['<none>@<none>'] : digests.length === 0 ? null : digests,
    RepoTags: dangling ? ['<none>:<none>'] : options.repoTags ?? imageRepoTags(image),
    SharedSize: options.sharedSize ?? -1,
    Size: size,
    VirtualSize: size,
  };
}

/** A container config with every key docker's has, the image's values over empty ones. */
function containerConfig(config: ExecutionConfig | undefined): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ExposedPorts: null, Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '',
    Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  };
  const given = Object.fromEntries(Object.entries(config ?? {}).filter(([, value]) => value !== undefined));
  return { ...defaults, ...given };
}

/** `GET /images/{name}/json`; `driver` is the storage driver's name as /info reports it. */
export function imageInspect(image: LocalImage, driver = ''): Record<string, unknown> {
  const { config } = image;
  const size = imageSize(image);
  const lastTagged = image.records.map((r) => r.updatedAt).sort().at(-1);
  return {
    Id: image.id,
    RepoTags: imageRepoTags(image),
    RepoDigests: imageRepoDigests(image),
    Parent: '',
    Comment: config.history?.at(-1)?.comment ?? '',
    Created: config.created ?? '',
    Container: '',
    ContainerConfig: containerConfig(undefined),
    DockerVersion: '',
    Author: config.author ?? '',
    Config: containerConfig(config.config),
    Architecture: config.architecture,
    ...(config.variant === undefined ? {} : { Variant: config.variant }),
    Os: config.os,
    ...(config['os.version'] === undefined ? {} : { OsVersion: config['os.version'] }),
    Size: size,
    VirtualSize: size,
    GraphDriver: { Data: null, Name: driver },
    RootFS: { Type: config.rootfs.type, Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: lastTagged ?? '' },
    Descriptor: image.manifestDesc,
  };
}
