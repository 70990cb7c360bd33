// Where a build's result goes (`kiln build --output`, `--push`), as the client sends it in the
// build request: BuildKit's exporters with their attributes already parsed. Paths are absolute;
// the daemon is local and writes them itself.

/** The built image in the daemon's store (buildx `--load`), named and optionally pushed. */
export interface ImageOutput {
  type: 'image';
  /** Names besides `--tag`'s. */
  names: string[];
  push: boolean;
}

/** The image as an OCI archive (`tar: true`) or an OCI layout directory. */
export interface OciOutput {
  type: 'oci';
  dest: string;
  tar: boolean;
  names: string[];
}

/** The image as a docker-archive tar, as `docker save` writes it. */
export interface DockerOutput {
  type: 'docker';
  dest: string;
  names: string[];
}

/** The result's filesystem, as a tar file or written out to a directory. */
export interface FilesystemOutput {
  type: 'tar' | 'local';
  dest: string;
}

export type BuildOutput = ImageOutput | OciOutput | DockerOutput | FilesystemOutput;

/** The image a build made, as its result message carries it: what `--metadata-file` reports. */
export interface BuiltImageDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}
