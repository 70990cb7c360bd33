// Digests name content: `sha256:<64 lowercase hex>`. Only sha256 is accepted because the
// store lays blobs out under blobs/sha256 and every OCI producer we meet writes sha256;
// accepting other algorithms would let a descriptor name a blob we can never verify.
import { createHash, type Hash } from 'node:crypto';
import { KilnError } from '../util/errors.js';

export type Digest = `sha256:${string}`;

const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return digestPattern.test(value);
}

/** Validates untrusted text (a manifest field, an API path) as a digest. */
export function parseDigest(value: string): Digest {
  if (isDigest(value)) return value;
  throw new KilnError('INVALID_ARGUMENT', `invalid digest ${JSON.stringify(value)}`, {
    hint: 'a digest is "sha256:" followed by 64 lowercase hexadecimal characters',
  });
}

/** The hex part, used as the blob's file name. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

/** A fresh incremental hasher whose result `digestOf` turns into a Digest. */
export function newDigester(): Hash {
  return createHash('sha256');
}

export function digestOf(hash: Hash): Digest {
  return `sha256:${hash.digest('hex')}`;
}

/** The digest of bytes already in memory (manifests, configs: small documents only). */
export function digestBytes(data: Uint8Array | string): Digest {
  return digestOf(newDigester().update(data));
}
