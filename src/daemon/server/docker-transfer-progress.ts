// Pull and push progress as dockerd reports it in the JSON message stream (engine-api.md §3.9,
// §3.10): one message per layer state change, keyed by 12 hex digits, and byte progress
// (`progressDetail`) that the docker CLI draws as bars on a terminal and leaves out otherwise.
// A pull names a layer by its compressed blob digest, a push by its uncompressed diff ID.
// Configs and manifests move silently, as with dockerd.
import { isLayer, type Descriptor, type TransferEvent } from '../../image/index.js';
import type { LocalImage } from '../images/local.js';
import type { JsonMessageStream } from './json-stream.js';
import { shortId } from '../images/remove.js';

/** Byte progress of one layer goes out at most this often: a terminal redraws no faster. */
const progressIntervalMs = 200;

interface States {
  start?: string;
  progress: string;
  done: string[];
  exists: string;
}

const pullStates: States = { start: 'Pulling fs layer', progress: 'Downloading', done: ['Download complete', 'Pull complete'], exists: 'Already exists' };
// Push announces every layer as Preparing up front (pushPreparing), so a start says nothing new.
const pushStates: States = { progress: 'Pushing', done: ['Pushed'], exists: 'Layer already exists' };

function reporter(stream: JsonMessageStream, states: States, idOf: (desc: Descriptor) => string): (event: TransferEvent) => void {
  const lastProgress = new Map<string, number>();
  return (event) => {
    if (!isLayer(event.desc.mediaType)) return;
    const id = idOf(event.desc);
    switch (event.kind) {
      case 'start':
        if (states.start !== undefined) stream.send({ status: states.start, progressDetail: {}, id });
        return;
      case 'progress': {
        const now = Date.now();
        if (now - (lastProgress.get(id) ?? 0) < progressIntervalMs) return;
        lastProgress.set(id, now);
        stream.send({ status: states.progress, progressDetail: { current: event.bytes, total: event.desc.size }, id });
        return;
      }
      case 'done':
        for (const status of states.done) stream.send({ status, progressDetail: {}, id });
        return;
      case 'exists':
        stream.send({ status: states.exists, progressDetail: {}, id });
        return;
      case 'retry':
        stream.send({ status: `Retrying (attempt ${event.attempt}) after: ${event.error.message}`, progressDetail: {}, id });
    }
  };
}

export function pullProgress(stream: JsonMessageStream): (event: TransferEvent) => void {
  return reporter(stream, pullStates, (desc) => shortId(desc.digest));
}

/** Layer blob digest → diff ID, for the image's manifest (this platform's, for an index). */
function diffIds(image: LocalImage): Map<string, string> {
  const ids = new Map<string, string>();
  image.manifest.layers.forEach((layer, i) => {
    const diffId = image.config.rootfs.diff_ids[i];
    if (diffId !== undefined) ids.set(layer.digest, diffId);
  });
  return ids;
}

/** Sends "Preparing" for each layer, top layer first as dockerd does, and reports the push. */
export function pushProgress(stream: JsonMessageStream, image: LocalImage): (event: TransferEvent) => void {
  const ids = diffIds(image);
  for (const layer of [...image.manifest.layers].reverse()) {
    stream.send({ status: 'Preparing', progressDetail: {}, id: shortId(ids.get(layer.digest) ?? layer.digest) });
  }
  return reporter(stream, pushStates, (desc) => shortId(ids.get(desc.digest) ?? desc.digest));
}
