// kilnd's native image API (src/api/images.ts) for the kiln CLI: list, inspect, tag, remove and
// the login check, each one JSON request and one JSON answer, over the daemon's warm engine.
// This module also registers the streaming endpoints (pull and push in image-transfer-routes.ts,
// save and load in image-archive-routes.ts).
import type { ServerResponse } from 'node:http';
import { imagesPath, type ImageNameEntry, type ImageSummary, type RemoveResponse } from '../../api/images.js';
import { familiarName, parseReference } from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import { driverName, type ImageEngine } from '../images/engine.js';
import { createdTime, findImage, isDangling, listImages, repoDigests, type LocalImage } from '../images/local.js';
import { removeImage, tagImage } from '../images/remove.js';
import { imageInspect, imageSize } from './docker-image-json.js';
import { readJson, sendJson, type Router } from './http.js';
import { imageArchiveRoutes } from './image-archive-routes.js';
import { parseAuthRequest, parseTagRequest, queryBoolean } from './image-request.js';
import { imageTransferRoutes } from './image-transfer-routes.js';
import { loginHost } from '../../registry/keychain.js';

/** A record's name split for display: its repository's registry digest comes from the image's labels. */
function nameEntry(name: string, digests: string[]): ImageNameEntry {
  if (isDangling(name)) return {};
  const ref = parseReference(name);
  const digest = ref.digest ?? digests.find((d) => d.startsWith(`${ref.domain}/${ref.path}@`))?.split('@')[1];
  return {
    repository: familiarName({ domain: ref.domain, path: ref.path }),
    ...(ref.tag === undefined ? {} : { tag: ref.tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}

function summary(image: LocalImage): ImageSummary {
  const digests = repoDigests(image);
  return { id: image.id, created: createdTime(image), size: imageSize(image), names: image.records.map((record) => nameEntry(record.name, digests)) };
}

async function removeRoute(engine: ImageEngine, name: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const result = await removeImage(engine, name, { force: queryBoolean(query, 'force') });
  const answer: RemoveResponse = { untagged: result.untagged.filter((untagged) => !isDangling(untagged)), deleted: result.deleted };
  sendJson(res, 200, answer);
}

/** Checks credentials against the registry (`GET /v2/` and its token exchange); stores nothing. */
async function authRoute(engine: ImageEngine, body: unknown, res: ServerResponse): Promise<void> {
  const request = parseAuthRequest(body);
  const host = loginHost(request.serverAddress);
  const credential = {
    ...(request.username === undefined ? {} : { username: request.username }),
    ...(request.password === undefined ? {} : { password: request.password }),
    ...(request.identityToken === undefined ? {} : { identityToken: request.identityToken }),
    ...(request.registryToken === undefined ? {} : { registryToken: request.registryToken }),
  };
  // A client of its own, with no keychain: nothing of this request outlives it.
  const registry = await engine.registryFor({ resolve: async () => undefined });
  try {
    await registry.login(host, credential);
  } catch (err) {
    // The registry client's hint says to log in, which is what just failed.
    if (err instanceof KilnError && err.code === 'UNAUTHORIZED') {
      throw new KilnError('UNAUTHORIZED', `login to ${host} failed: ${err.message}`, { hint: 'check the user name and password', cause: err });
    }
    throw err;
  } finally {
    await registry.close();
  }
  sendJson(res, 200, { status: 'Login Succeeded' });
}

export function imageRoutes(router: Router, engine: ImageEngine): void {
  const one = new RegExp(`^${imagesPath}/([^/]+)$`);
  router
    .on('GET', new RegExp(`^${imagesPath}$`), async (_ctx, res) => sendJson(res, 200, (await listImages(engine)).map(summary)))
    .on('GET', one, async (ctx, res) => {
      const { image } = await findImage(engine, ctx.params[0] ?? '');
      sendJson(res, 200, imageInspect(image, await driverName(engine)));
    })
    .on('DELETE', one, async (ctx, res) => removeRoute(engine, ctx.params[0] ?? '', ctx.query, res))
    .on('POST', new RegExp(`^${imagesPath}/([^/]+)/tag$`), async (ctx, res) => {
      const { target } = parseTagRequest(await readJson(ctx.req));
      sendJson(res, 201, { name: await tagImage(engine, ctx.params[0] ?? '', target) });
    })
    .on('POST', /^\/kiln\/v1\/auth$/, async (ctx, res) => authRoute(engine, await readJson(ctx.req), res));
  imageTransferRoutes(router, engine);
  imageArchiveRoutes(router, engine);
}
