// The JSON documents of an image, typed as they travel on the wire (OCI image-spec v1.1 and
// Docker schema2, whose field names they share). Keeping the wire names, `os.version`
// included, means a document read from a registry can be handed on without a mapping layer;
// platform.ts converts the platform object to the in-memory Platform used for matching.

import type { Digest } from '../content/digest.js';

export type { Digest };

/** The `platform` object of an index entry or an image config, with its wire field names. */
export interface OCIPlatform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

/** A reference to a blob: what it is, its content address and its length in bytes. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  /** Where a non-distributable layer can be downloaded from instead of the registry. */
  urls?: string[];
  /** Set on the entries of an index to say which platform a manifest is for. */
  platform?: OCIPlatform;
  artifactType?: string;
  /** The blob itself, base64-encoded, for small blobs embedded in their parent. */
  data?: string;
}

/** An OCI image index; a Docker manifest list has the same shape. */
export interface ImageIndex {
  schemaVersion: 2;
  /** Optional in OCI; documents without one are recognised by their shape. */
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image manifest; a Docker schema2 manifest has the same shape. */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type DockerManifestList = ImageIndex & {
  mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json';
};

export type DockerManifest = ImageManifest & {
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json';
};

/** Docker's HEALTHCHECK settings; durations are nanoseconds, as Go's time.Duration. */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", arg...]` or `["CMD-SHELL", command]`. */
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/**
 * The `config` member of an image config: the defaults a container started from the image
 * runs with. Healthcheck, OnBuild, Shell and ArgsEscaped are Docker extensions that OCI
 * tolerates and BuildKit writes.
 */
export interface ExecutionConfig {
  User?: string;
  /** Keys are `port/proto` (`80/tcp`); values are empty objects. */
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  /** Keys are paths; values are empty objects. */
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: HealthConfig;
  OnBuild?: string[];
  Shell?: string[];
}

/** One step of the image's build, whether or not it produced a layer. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  /** True when the step changed only the config (ENV, CMD, ...) and added no layer. */
  empty_layer?: boolean;
}

export interface RootFS {
  type: 'layers';
  /** Digests of the uncompressed layer tars, in the order the manifest lists the layers. */
  diff_ids: Digest[];
}

/** The image config blob (OCI `application/vnd.oci.image.config.v1+json`). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ExecutionConfig;
  rootfs: RootFS;
  history?: HistoryEntry[];
}
