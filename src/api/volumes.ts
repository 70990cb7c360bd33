// kilnd's native volume API (`/kiln/v1/volumes...`), shared by the daemon and the CLI. The list
// answers with kiln's records (the CLI draws docker's table); inspect answers with docker's
// shape, which is what `kiln volume inspect` prints. Names in paths are percent-encoded.

export const volumesPath = '/kiln/v1/volumes';
export const volumesPrunePath = '/kiln/v1/volumes/prune';

export function volumePath(name: string): string {
  return `${volumesPath}/${encodeURIComponent(name)}`;
}

/** A local volume as kiln records it (`GET /kiln/v1/volumes`, and the answer of a create). */
export interface VolumeRecord {
  name: string;
  /** RFC 3339, seconds precision. */
  createdAt: string;
  labels: Record<string, string>;
}

/** `POST /kiln/v1/volumes`: an existing volume of the name is answered as it is. */
export interface VolumeCreateRequest {
  /** Absent: a random name, labelled anonymous. */
  name?: string;
  labels?: Record<string, string>;
}

/** `POST /kiln/v1/volumes/prune` body. */
export interface VolumePruneRequest {
  /** Named volumes too, not only anonymous ones. */
  all?: boolean;
}

export interface VolumePruneResponse {
  deleted: string[];
  reclaimedBytes: number;
}
