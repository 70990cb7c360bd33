// Reading a blob re-hashes it: bytes on disk can rot or be edited behind the store's back,
// and a blob whose bytes do not match its name must never be served as that blob. The check
// can only conclude at the end, so the stream errors there; consumers treat data as trusted
// only once the stream has ended without error (as with containerd's verifying reader).
import { Transform, type TransformCallback } from 'node:stream';
import { KilnError } from '../util/errors.js';
import { digestOf, newDigester } from './digest.js';
import type { BlobRef } from './types.js';

/**
 * `origin` names where the bytes come from when that is not this store (a registry, an
 * archive): the error then blames the source instead of advising to delete a local blob.
 */
export function verifyingStream(desc: BlobRef, origin?: string): Transform {
  const fail = (what: string): KilnError => (origin === undefined ? corrupted(desc, what) : mismatched(desc, origin, what));
  const hash = newDigester();
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.byteLength;
      // Fail as soon as a blob is longer than its descriptor instead of streaming it all.
      if (seen > desc.size) return callback(fail(`more than the expected ${desc.size} bytes`));
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (seen !== desc.size) return callback(fail(`${seen} bytes instead of ${desc.size}`));
      const actual = digestOf(hash);
      if (actual !== desc.digest) return callback(fail(`bytes that hash to ${actual}`));
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

/** Content from elsewhere that is not what its descriptor promised; it is refused, not stored. */
export function mismatched(desc: BlobRef, origin: string, what: string): KilnError {
  return new KilnError('FAILED_PRECONDITION', `blob ${desc.digest} from ${origin} has ${what}; refused`, {
    hint: 'the source served corrupt or tampered content; nothing of it was kept',
  });
}
