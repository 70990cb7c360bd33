// kilnd's native image API (`/kiln/v1/images...`, `/kiln/v1/auth`), shared by the daemon and the
// CLI: the paths, and the JSON each side sends. Payloads are kiln's data (full image names,
// digests, byte counts), not docker's display strings; the CLI renders them. Image names in
// paths are percent-encoded (a name holds `/` and `:`), so each is one path segment.
//
// Pull and push answer with a chunked stream of one JSON message per line, written as the
// transfer happens; it ends with exactly one `result` or `error` message. Save answers with the
// tar itself; a failure once it has begun arrives in the `Kiln-Error` trailer. Errors before a
// stream begins, and every error of the other endpoints, are a 4xx/5xx with the JSON body
// `{code, message, hint?}`, which the CLI turns back into the KilnError the daemon raised.
import type { KilnErrorJSON } from '../util/errors.js';

export const imagesPath = '/kiln/v1/images';
export const pullPath = '/kiln/v1/images/pull';
export const savePath = '/kiln/v1/images/save';
export const saveLayoutPath = '/kiln/v1/images/save/layout';
export const loadPath = '/kiln/v1/images/load';
export const loadLayoutPath = '/kiln/v1/images/load/layout';
export const authPath = '/kiln/v1/auth';

/** The trailer that carries a save's failure once the archive has begun: base64url of KilnErrorJSON. */
export const errorTrailer = 'Kiln-Error';

/** `/kiln/v1/images/{name}` and its sub-resources (`tag`, `push`). */
export function imagePath(name: string, action?: 'tag' | 'push'): string {
  return `${imagesPath}/${encodeURIComponent(name)}${action === undefined ? '' : `/${action}`}`;
}

/** One name of an image, split for display; all absent for an image that has no name. */
export interface ImageNameEntry {
  /** The repository in docker's short form (`busybox`, `example.com/team/app`). */
  repository?: string;
  tag?: string;
  /** The registry digest of the name's repository, when the image came from or went to one. */
  digest?: string;
}

/** `GET /kiln/v1/images`: every local image, newest first. */
export interface ImageSummary {
  /** The config digest. */
  id: string;
  /** When the image was created, in ms since the epoch; 0 when its config does not say. */
  created: number;
  /** Bytes its blobs take in the store: config and compressed layers. */
  size: number;
  /** One entry per name (an unnamed image has one empty entry). */
  names: ImageNameEntry[];
}

/** `POST /kiln/v1/images/{name}/tag` body; the answer is `{name}`, the target's full name. */
export interface TagRequest {
  target: string;
}

/** `DELETE /kiln/v1/images/{name}?force=true|false`. */
export interface RemoveResponse {
  /** Full names removed. */
  untagged: string[];
  /** Blob digests deleted, the image's config (its ID) first. */
  deleted: string[];
}

/** `POST /kiln/v1/images/pull` body; credentials come in X-Registry-Auth. */
export interface PullRequest {
  reference: string;
  /** `os/arch[/variant]`; default this machine's. */
  platform?: string;
}

/** A blob's state change in a pull or push (byte-level progress is not sent). */
export interface TransferUpdate {
  kind: 'exists' | 'start' | 'done' | 'retry';
  digest: string;
  mediaType: string;
  size: number;
  /** For `retry`: the attempt about to be made, and why the last one failed. */
  attempt?: number;
  error?: string;
}

export type PullMessage =
  /** The registry resolved the reference: blobs move from here on. */
  | { resolved: { digest: string; mediaType: string; size: number } }
  | { transfer: TransferUpdate }
  | { result: { reference: string; digest: string; upToDate: boolean } }
  | { error: KilnErrorJSON };

/** `POST /kiln/v1/images/{name}/push` body; `name` is a repository when allTags is set. */
export interface PushRequest {
  allTags?: boolean;
}

export interface PushedImage {
  reference: string;
  /** The tag pushed (or the digest, for a name by digest). */
  tag: string;
  digest: string;
  size: number;
}

export type PushMessage =
  /** First: the repository and the local names about to be pushed. */
  | { pushing: { repository: string; names: string[] } }
  | { transfer: TransferUpdate }
  | { pushed: PushedImage }
  | { result: { pushed: PushedImage[] } }
  | { error: KilnErrorJSON };

/** `POST /kiln/v1/images/save` body; the answer is the tar. */
export interface SaveRequest {
  names: string[];
  format: 'docker' | 'oci';
}

/** `POST /kiln/v1/images/save/layout` body: the daemon writes the OCI layout directory in place. */
export interface SaveLayoutRequest {
  names: string[];
  /** Absolute, on the daemon's host (the socket is local). */
  path: string;
}

/** `POST /kiln/v1/images/load/layout` body: the daemon reads the OCI layout directory in place. */
export interface LoadLayoutRequest {
  /** Absolute. */
  path: string;
}

/** The answer of both loads (`load` takes the tar as its body, gzip allowed). */
export interface LoadResponse {
  images: { id: string; names: string[] }[];
}

/** `POST /kiln/v1/auth` body: checked against the registry, never stored by the daemon. */
export interface AuthRequest {
  /** A registry host or URL; empty means Docker Hub. */
  serverAddress: string;
  username?: string;
  password?: string;
  identityToken?: string;
  /** A bearer token sent to the registry as is. */
  registryToken?: string;
}

/** The first 12 hex digits of an image ID, as docker shows it. */
export function shortImageId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
