// The Docker Engine API's local image endpoints (engine-api.md §3.5-§3.7, §3.11, §3.17):
// `docker images`, `image inspect` (and `docker inspect` after a container 404), `tag`, `rmi`
// and `image prune`, over the image store the kiln CLI uses. Image names come in the path
// unescaped, registry host, port and tag included (`/images/127.0.0.1:5001/x:1/json`), so the
// routes match them greedily. This module also registers the registry, archive and disk-usage
// routes of the image API.
import type { ServerResponse } from 'node:http';
import { listContainers } from '../containers/list.js';
import { shortContainerId, type ContainerRecord } from '../containers/record.js';
import { driverName, type ImageEngine } from '../images/engine.js';
import { createdTime, danglingName, findImage, isDangling, listImages, repoDigestLabel, type LocalImage } from '../images/local.js';
import { removeImage, shortId, tagImage } from '../images/remove.js';
import type { ImageRecord } from '../../content/images.js';
import { familiarName, parseReference } from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import { dockerArchiveRoutes } from './docker-archive-routes.js';
import { queryFlag } from './docker-query.js';
import { imageInspect, imageSummary, isDanglingImage } from './docker-image-json.js';
import { booleanFilter, labelsMatch, parseFilters, selectImages, untilTime } from './docker-image-filters.js';
import { dockerDiskUsageRoutes } from './docker-system-df.js';
import { dockerRegistryRoutes } from './docker-registry-routes.js';
import { sendJson, type Router } from './http.js';

async function listRoute(engine: ImageEngine, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const filters = parseFilters(query.get('filters'), ['reference', 'dangling', 'label', 'before', 'since']);
  // `all` asks for intermediate images too: kiln keeps none, so every image is listed either way.
  const selected = await selectImages(engine, await listImages(engine), filters);
  sendJson(res, 200, selected.map(({ image, repoTags, repoDigests }) => imageSummary(image, { repoTags, repoDigests })));
}

async function tagRoute(engine: ImageEngine, source: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const repo = query.get('repo') ?? '';
  if (repo === '') throw new KilnError('INVALID_ARGUMENT', 'tag: the repo parameter is required');
  const tag = query.get('tag') ?? '';
  await tagImage(engine, source, tag === '' ? repo : `${repo}:${tag}`);
  res.writeHead(201, { 'Content-Length': 0 }).end();
}

/** `repo@digest` names the image had in the repositories of the names being removed. */
function untaggedDigests(records: ImageRecord[]): string[] {
  return records.flatMap((record) => {
    const ref = parseReference(record.name);
    const repo = `${ref.domain}/${ref.path}`;
    const digests = (record.labels?.[repoDigestLabel] ?? '').split(',').filter((d) => d.startsWith(`${repo}@`));
    return digests.map((d) => `${familiarName({ domain: ref.domain, path: ref.path })}${d.slice(repo.length)}`);
  });
}

function untaggedEntries(records: ImageRecord[]): { Untagged: string }[] {
  const named = records.filter((record) => !isDangling(record.name));
  const names = named.map((record) => familiarName(parseReference(record.name)));
  return [...new Set([...names, ...untaggedDigests(named)])].map((name) => ({ Untagged: name }));
}

/** dockerd's refusal to take the last name (or the ID) of an image a container was made from. */
function inUse(text: string, image: LocalImage, byId: boolean, user: ContainerRecord): KilnError {
  const container = shortContainerId(user.id);
  if (!byId) {
    return new KilnError('CONFLICT', `conflict: unable to remove repository reference "${text}" (must force) - container ${container} is using its referenced image ${shortId(image.id)}`);
  }
  const running = user.state.status === 'running';
  return new KilnError('CONFLICT', `conflict: unable to delete ${shortId(image.id)} (${running ? 'cannot be forced' : 'must be forced'}) - image is being used by ${running ? 'running' : 'stopped'} container ${container}`);
}

async function deleteRoute(engine: ImageEngine, text: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const force = queryFlag(query, 'force');
  // `noprune` keeps untagged parent images: kiln images have no parents, so there is nothing to keep.
  const { image, byId } = await findImage(engine, text);
  const removing = byId ? image.records : image.records.slice(0, 1);
  const lastName = byId || image.records.length === 1;
  const user = lastName ? (await listContainers(engine)).find((record) => record.imageId === image.id) : undefined;
  if (user !== undefined) {
    if (!force || (byId && user.state.status === 'running')) throw inUse(text, image, byId, user);
    // Forced: the names go, the image stays (dangling) for the container that was made from it.
    const target = removing[0]?.target ?? image.manifestDesc;
    await engine.images.put({ name: danglingName(target.digest), target });
    for (const record of removing) if (!isDangling(record.name)) await engine.images.delete(record.name);
    sendJson(res, 200, untaggedEntries(removing));
    return;
  }
  const result = await removeImage(engine, text, { force });
  const removed = removing.filter((record) => result.untagged.includes(record.name));
  sendJson(res, 200, [...untaggedEntries(removed), ...result.deleted.map((digest) => ({ Deleted: digest }))]);
}

/** Sizes of the blobs an image is made of, by digest: what removing it can reclaim. */
function blobSizes(image: LocalImage): Map<string, number> {
  const blobs = [image.manifestDesc, image.configDesc, ...image.manifest.layers, ...image.records.map((record) => record.target)];
  return new Map(blobs.map((blob) => [blob.digest, blob.size]));
}

/**
 * `docker image prune`: dangling images (every unused one with `dangling=false`, i.e. `-a`),
 * never one a container was made from; `until` and `label` narrow the choice.
 */
async function pruneRoute(engine: ImageEngine, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const filters = parseFilters(query.get('filters'), ['dangling', 'label', 'until']);
  const danglingOnly = booleanFilter(filters, 'dangling') ?? true;
  const until = untilTime(filters);
  const labels = filters.get('label') ?? [];
  const used = new Set((await listContainers(engine)).map((record) => record.imageId as string));
  const entries: Record<string, string>[] = [];
  let reclaimed = 0;
  for (const image of await listImages(engine)) {
    if (used.has(image.id) || (danglingOnly && !isDanglingImage(image)) || !labelsMatch(image, labels)) continue;
    if (until !== undefined && createdTime(image) >= until) continue;
    const sizes = blobSizes(image);
    const result = await removeImage(engine, image.id, { force: true });
    entries.push(...untaggedEntries(image.records), ...result.deleted.map((digest) => ({ Deleted: digest })));
    reclaimed += result.deleted.reduce((sum, digest) => sum + (sizes.get(digest) ?? 0), 0);
  }
  sendJson(res, 200, { ImagesDeleted: entries.length === 0 ? null : entries, SpaceReclaimed: reclaimed });
}

export function dockerImageRoutes(router: Router, engine: ImageEngine): void {
  router
    .on('GET', /^\/images\/json$/, async (ctx, res) => listRoute(engine, ctx.query, res))
    .on('GET', /^\/images\/(.+)\/json$/, async (ctx, res) => {
      const { image } = await findImage(engine, ctx.params[0] ?? '');
      sendJson(res, 200, imageInspect(image, await driverName(engine)));
    })
    .on('POST', /^\/images\/(.+)\/tag$/, async (ctx, res) => tagRoute(engine, ctx.params[0] ?? '', ctx.query, res))
    .on('POST', /^\/images\/prune$/, async (ctx, res) => pruneRoute(engine, ctx.query, res));
  dockerRegistryRoutes(router, engine);
  dockerArchiveRoutes(router, engine);
  dockerDiskUsageRoutes(router, engine);
  // Last: the pattern takes any path under /images/.
  router.on('DELETE', /^\/images\/(.+)$/, async (ctx, res) => deleteRoute(engine, ctx.params[0] ?? '', ctx.query, res));
}
