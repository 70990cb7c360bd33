// The content store's vocabulary, after containerd's content package and the OCI
// descriptor: plain data that crosses HTTP and worker threads as JSON.
import type { Readable } from 'node:stream';
import type { Descriptor } from '../image/types.js';
import type { Digest } from './digest.js';

/** What a store knows about content before a media type is attached to it. */
export type BlobRef = Pick<Descriptor, 'digest' | 'size'>;

export interface BlobInfo {
  digest: Digest;
  size: number;
  createdAt: Date;
}

export interface IngestStatus {
  ref: string;
  offset: number;
  total?: number;
  startedAt: Date;
}

/** A half-open byte range: `end` is the offset just after the last byte, defaulting to the size. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ContentStore {
  info(digest: Digest): Promise<BlobInfo | undefined>;
  read(desc: BlobRef, range?: ByteRange): Promise<Readable>;
  writer(ref: string, expected?: Partial<BlobRef>): Promise<ContentWriter>;
  delete(digest: Digest): Promise<void>;
  walk(visit: (info: BlobInfo) => void | Promise<void>): Promise<void>;
}

export interface ContentWriter {
  write(chunk: Uint8Array): Promise<void>;
  status(): IngestStatus;
  commit(size?: number, expected?: Digest): Promise<BlobRef>;
  abort(): Promise<void>;
}
