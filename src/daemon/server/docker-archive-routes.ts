// `docker save` and `docker load` through the Docker Engine API (engine-api.md §3.17):
// `GET /images/get?names=…` streams a docker-archive tar as it is written, and
// `POST /images/load` reads the uploaded tar (chunked, no Content-Length) as it arrives,
// storing blobs on the way and naming the images only once the whole archive has been read and
// checked: a truncated or foreign tar fails the request and leaves no image behind. Blobs it
// stored are unreferenced, for the next garbage collection.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { familiarName, parseReference } from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import { loadImages, saveImages } from '../images/archive.js';
import type { ImageEngine } from '../images/engine.js';
import { findImage } from '../images/local.js';
import type { Router } from './http.js';
import { openJsonStream } from './json-stream.js';

/** `names` may repeat, and old clients also comma-separate several names in one. */
function saveNames(query: URLSearchParams): string[] {
  const names = query.getAll('names').flatMap((value) => value.split(',')).map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new KilnError('INVALID_ARGUMENT', 'save: the names parameter is required');
  return names;
}

async function saveRoute(engine: ImageEngine, names: string[], res: ServerResponse): Promise<void> {
  // Every name is looked up before the 200 goes out, so an unknown one is a plain 404.
  for (const name of names) await findImage(engine, name);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  // A failure from here on can only cut the stream short (the router destroys the response):
  // the client then reports a truncated archive rather than keeping a wrong one.
  await saveImages(engine, names, res, 'docker');
}

/** What `docker load` prints per image: its names, or its ID when it has none. */
function loadedLines(results: { names: string[]; id: string }[]): string[] {
  return results.flatMap((result) =>
    result.names.length === 0 ? [`Loaded image ID: ${result.id}\n`] : result.names.map((name) => `Loaded image: ${familiarName(parseReference(name))}\n`));
}

async function loadRoute(engine: ImageEngine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // `quiet` only turns off progress bars, which this load does not draw: the result lines are
  // sent either way, as dockerd sends them.
  const results = await loadImages(engine, req);
  // The archive's end may come before the body's (padding after the end-of-archive blocks).
  req.resume();
  const stream = openJsonStream(res);
  for (const line of loadedLines(results)) stream.send({ stream: line });
  stream.end();
}

export function dockerArchiveRoutes(router: Router, engine: ImageEngine): void {
  router
    .on('GET', /^\/images\/get$/, async (ctx, res) => saveRoute(engine, saveNames(ctx.query), res))
    .on('GET', /^\/images\/(.+)\/get$/, async (ctx, res) => saveRoute(engine, [ctx.params[0] ?? ''], res))
    .on('POST', /^\/images\/load$/, async (ctx, res) => loadRoute(engine, ctx.req, res));
}
