// A Writable that drops what it is given: output nobody reads (a detached container's, pull
// progress a build does not show yet) still has to go somewhere that never pushes back.
import { Writable } from 'node:stream';

export function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
