// Every way an image moves (pull, push, save, load, OCI layout import and export) is one walk:
// read the image's documents from a source and write its blobs into a target, children before
// the documents that name them, so a target never holds a manifest whose blobs it lacks. The
// registry, the local store, OCI layouts and docker archives implement these two interfaces
// and nothing else; copy.ts does the walking once for all of them.
import type { Readable } from 'node:stream';
import type { Platform } from './platform.js';
import type { Descriptor } from './types.js';

export interface ImageSource {
  /** Where the image comes from, for messages: a reference, `oci-layout:/dir`, `docker-archive:file`. */
  readonly location: string;
  /**
   * The bytes of one blob or document, which should be exactly `desc.size` bytes hashing to
   * `desc.digest`. Sources need not verify: the copier does, while the bytes stream.
   */
  fetch(desc: Descriptor, signal?: AbortSignal): Promise<Readable>;
  /**
   * True when fetch's streams already error on bytes that do not match the descriptor (the
   * local store re-hashes every read), so the copier does not hash them a second time.
   */
  readonly verifies?: boolean;
}

export interface ImageTarget {
  readonly location: string;
  /** How many blobs may be written at once; 1 for formats written in order, such as a tar. */
  readonly concurrency: number;
  /**
   * True when the target itself refuses a blob whose bytes do not match the descriptor before
   * keeping it (the local store's commit, a registry's digest check on upload), so the copier
   * need not hash the bytes too.
   */
  readonly verifies?: boolean;
  /**
   * Whether a blob is already there and need not be sent. A registry may make it so by
   * mounting the blob from another repository.
   */
  exists(desc: Descriptor, signal?: AbortSignal): Promise<boolean>;
  /**
   * Stores a config or layer blob. `content` yields the bytes and errors at its end if they
   * do not match `desc`; the target must then leave no trace of the blob and reject.
   */
  writeBlob(desc: Descriptor, content: Readable, signal?: AbortSignal): Promise<void>;
  /**
   * Stores a manifest or index whose children are all written. The copier has read and
   * verified `bytes` already. `root` marks the document the copy was asked for, which a
   * registry puts under the reference's tag.
   */
  writeManifest(desc: Descriptor, bytes: Uint8Array, root: boolean, signal?: AbortSignal): Promise<void>;
  /** Called once everything is written: name the image, close the archive. */
  finish(root: Descriptor, signal?: AbortSignal): Promise<void>;
}

export type TransferEvent =
  /** The target had the blob already (or mounted it); nothing was sent. */
  | { kind: 'exists'; desc: Descriptor }
  | { kind: 'start'; desc: Descriptor }
  /** `bytes` is the running total copied of `desc`. */
  | { kind: 'progress'; desc: Descriptor; bytes: number }
  | { kind: 'done'; desc: Descriptor }
  /** A write failed and is being tried again from the start. */
  | { kind: 'retry'; desc: Descriptor; attempt: number; error: Error };

export interface CopyOptions {
  /**
   * When the root is an index: copy only the manifest for this platform, which becomes the
   * copy's result. Without it every manifest of the index is copied and the index is the result.
   */
  platform?: Platform;
  onEvent?: (event: TransferEvent) => void;
  signal?: AbortSignal;
}

export interface CopyResult {
  /** The document written as the root: the selected manifest, or the index when all were copied. */
  root: Descriptor;
  /** The index the platform manifest was selected from, when there was one. */
  index?: Descriptor;
  /** The manifest's config descriptor, when the root is a single-platform manifest. */
  config?: Descriptor;
  /** Blobs sent, and blobs skipped because the target had them. */
  written: number;
  skipped: number;
}
