// The image a `run` names, pulled first when it is not here: docker run's default
// `--pull missing`, announced on stderr with docker's own lines.
import type { Writable } from 'node:stream';
import type { RegistryClient } from '../../registry/client.js';
import { familiarName, parseNormalizedReference, withDefaultTag, type Reference } from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { findImage, type LocalImage } from '../images/local.js';

function referenceOf(text: string): Reference | undefined {
  try {
    return withDefaultTag(parseNormalizedReference(text));
  } catch {
    return undefined;
  }
}

/** `registry`: a client with the request's credentials (a build's), made when a pull needs it; default the engine's. */
export async function localOrPulled(engine: ImageEngine, text: string, stderr: Writable, signal?: AbortSignal, registry?: () => Promise<RegistryClient>): Promise<LocalImage> {
  try {
    return (await findImage(engine, text, { allNames: false })).image;
  } catch (err) {
    const ref = err instanceof KilnError && err.code === 'NOT_FOUND' ? referenceOf(text) : undefined;
    if (ref === undefined) throw err;
    const familiar = familiarName(ref);
    stderr.write(`Unable to find image '${familiar}' locally\n`);
    // Loaded only here: the registry client and undici cost a run of a local image ~100 ms of startup.
    const { pullImage } = await import('../images/pull.js');
    const result = await pullImage(engine, text, {
      onResolved: () => stderr.write(`${ref.digest ?? ref.tag ?? 'latest'}: Pulling from ${ref.path}\n`),
      ...(signal === undefined ? {} : { signal }),
      ...(registry === undefined ? {} : { registry: await registry() }),
    });
    stderr.write(`Digest: ${result.digest}\nStatus: Downloaded newer image for ${familiar}\n`);
    return (await findImage(engine, text)).image;
  }
}
