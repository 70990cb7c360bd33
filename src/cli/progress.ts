// Transfer progress as docker prints it without a terminal: one line per layer state change,
// keyed by the first 12 hex digits of the layer digest. Configs and manifests are not shown,
// as in docker. The daemon reports state changes only: a CI log wants states, not bars.
import type { TransferUpdate } from '../api/images.js';
import { isLayer } from '../image/mediatypes.js';

const pullStates: Record<string, string> = { exists: 'Already exists', start: 'Pulling fs layer', done: 'Pull complete' };
const pushStates: Record<string, string> = { exists: 'Layer already exists', start: 'Preparing', done: 'Pushed' };

export function transferPrinter(direction: 'pull' | 'push', write: (line: string) => void): (update: TransferUpdate) => void {
  const states = direction === 'pull' ? pullStates : pushStates;
  return (update) => {
    if (!isLayer(update.mediaType)) return;
    const id = update.digest.slice('sha256:'.length, 'sha256:'.length + 12);
    if (update.kind === 'retry') {
      write(`${id}: Retrying (attempt ${update.attempt ?? 0}) after: ${update.error ?? ''}\n`);
      return;
    }
    const state = states[update.kind];
    if (state !== undefined) write(`${id}: ${state}\n`);
  };
}
