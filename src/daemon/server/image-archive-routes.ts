// The kiln CLI's `save` and `load` through the daemon (src/api/images.ts):
// - `POST /kiln/v1/images/save` answers with the tar as it is written (chunked, never held
//   whole). Every name is looked up before the 200, so an unknown one is a plain 404; a failure
//   after that ends the chunked body properly with the error in the `Kiln-Error` trailer, so
//   the client reports the daemon's error rather than a bare truncation.
// - `POST /kiln/v1/images/load` reads the tar from the request body as it arrives (chunked or
//   with a length) and names the images only once the whole archive has been read and checked.
// - The `/layout` variants write or read an OCI layout directory in place: the socket is local,
//   so the path is on the daemon's host, as a build's context directory is.
import type { ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { errorTrailer, loadLayoutPath, loadPath, saveLayoutPath, savePath, type LoadResponse } from '../../api/images.js';
import { KilnError } from '../../util/errors.js';
import { loadImages, loadLayout, saveImages, saveLayout, type LoadedImageResult } from '../images/archive.js';
import type { ImageEngine } from '../images/engine.js';
import { findImage } from '../images/local.js';
import { readJson, sendJson, type RequestContext, type Router } from './http.js';
import { parseLoadLayoutRequest, parseSaveLayoutRequest, parseSaveRequest } from './image-request.js';
import { errorMessage } from './logger.js';

function trailerValue(err: unknown): string {
  const json = err instanceof KilnError ? err.toJSON() : { code: 'INTERNAL', message: `internal error: ${errorMessage(err)}` };
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

async function saveRoute(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const { names, format } = parseSaveRequest(await readJson(ctx.req));
  for (const name of names) await findImage(engine, name);
  res.writeHead(200, { 'Content-Type': 'application/x-tar', Trailer: errorTrailer });
  // The archive goes through a pass-through so that a failure leaves `res` open for the trailer
  // (the tar writer destroys the stream it writes to when it fails).
  const tar = new PassThrough();
  tar.pipe(res, { end: false });
  // A client that goes away stops the archive, which would otherwise wait on a full pipe.
  const hangUp = (): void => {
    if (!res.writableFinished) tar.destroy(new KilnError('CANCELED', 'the client went away'));
  };
  res.on('close', hangUp);
  try {
    await saveImages(engine, names, tar, format);
    await finished(tar);
    res.end();
  } catch (err) {
    ctx.log.info('save failed', { reqId: ctx.reqId, error: errorMessage(err) });
    tar.unpipe(res);
    if (!res.destroyed) {
      res.addTrailers({ [errorTrailer]: trailerValue(err) });
      res.end();
    }
  } finally {
    res.off('close', hangUp);
  }
}

function loadAnswer(results: LoadedImageResult[]): LoadResponse {
  return { images: results.map(({ id, names }) => ({ id, names })) };
}

async function loadRoute(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const results = await loadImages(engine, ctx.req);
  // The archive's end may come before the body's (padding after the end-of-archive blocks).
  ctx.req.resume();
  sendJson(res, 200, loadAnswer(results));
}

export function imageArchiveRoutes(router: Router, engine: ImageEngine): void {
  router
    .on('POST', new RegExp(`^${savePath}$`), async (ctx, res) => saveRoute(engine, ctx, res))
    .on('POST', new RegExp(`^${saveLayoutPath}$`), async (ctx, res) => {
      const { names, path } = parseSaveLayoutRequest(await readJson(ctx.req));
      await saveLayout(engine, names, path);
      sendJson(res, 200, {});
    })
    .on('POST', new RegExp(`^${loadPath}$`), async (ctx, res) => loadRoute(engine, ctx, res))
    .on('POST', new RegExp(`^${loadLayoutPath}$`), async (ctx, res) => {
      const { path } = parseLoadLayoutRequest(await readJson(ctx.req));
      sendJson(res, 200, loadAnswer(await loadLayout(engine, path)));
    });
}
