// Transfer progress as docker prints it without a terminal: one line per layer state change,
// keyed by the first 12 hex digits of the layer digest. Configs and manifests are not shown,
// as in docker. Byte-level progress events are dropped: a CI log wants states, not bars.
import { isLayer, type TransferEvent } from '../image/index.js';

const pullStates: Record<string, string> = { exists: 'Already exists', start: 'Pulling fs layer', done: 'Pull complete' };
const pushStates: Record<string, string> = { exists: 'Layer already exists', start: 'Preparing', done: 'Pushed' };

export function transferPrinter(direction: 'pull' | 'push', write: (line: string) => void): (event: TransferEvent) => void {
  const states = direction === 'pull' ? pullStates : pushStates;
  return (event) => {
    if (!isLayer(event.desc.mediaType)) return;
    const id = event.desc.digest.slice('sha256:'.length, 'sha256:'.length + 12);
    if (event.kind === 'retry') {
      write(`${id}: Retrying (attempt ${event.attempt}) after: ${event.error.message}\n`);
      return;
    }
    const state = states[event.kind];
    if (state !== undefined) write(`${id}: ${state}\n`);
  };
}
