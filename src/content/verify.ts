// Reading a blob re-hashes it: bytes on disk can rot or be edited behind the store's back,
// and a blob whose bytes do not match its name must never be served as that blob. The check
// can only conclude at the end, so the stream errors there; consumers treat data as trusted
// only once the stream has ended without error (as with containerd's verifying reader).
import { Transform, type TransformCallback } from 'node:stream';
import { KilnError } from '../util/errors.js';
import { digestOf, newDigester } from './digest.js';
import type { BlobRef } from './types.js';

export function verifyingStream(desc: BlobRef): Transform {
  const hash = newDigester();
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.byteLength;
      // Fail as soon as a blob is longer than its descriptor instead of streaming it all.
      if (seen > desc.size) return callback(corrupted(desc, `more than the expected ${desc.size} bytes`));
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (seen !== desc.size) return callback(corrupted(desc, `${seen} bytes instead of ${desc.size}`));
      const actual = digestOf(hash);
      if (actual !== desc.digest) return callback(corrupted(desc, `bytes that hash to ${actual}`));
      callback();
    },
  });
}

/** The store holds a blob whose content does not match its name or descriptor. */
export function corrupted(desc: BlobRef, what: string): KilnError {
  return new KilnError('INTERNAL', `data corrupted: blob ${desc.digest} has ${what}`, {
    hint: `delete blob ${desc.digest} from the store so that it is fetched or built again`,
  });
}
