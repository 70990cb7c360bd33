// The Engine API's volume endpoints over kiln's local volumes (src/daemon/volumes):
// `POST /volumes/create` → 201 with the volume, `GET /volumes` → {Volumes, Warnings},
// `GET /volumes/{name}`, `DELETE /volumes/{name}[?force=1]` → 204 (409 while a container uses
// it), `POST /volumes/prune` → {VolumesDeleted, SpaceReclaimed}. Only the `local` driver
// exists, without driver options. At API 1.41 prune takes every unused volume, named or not.
import type { ServerResponse } from 'node:http';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { createVolume, inspectView, pruneVolumes, removeVolume, volumeUsers } from '../volumes/commands.js';
import { VolumeStore, type Volume } from '../volumes/store.js';
import { booleanFilter, parseFilters, type Filters } from './docker-image-filters.js';
import { queryFlag } from './docker-query.js';
import { readJson, sendJson, type RequestContext, type Router } from './http.js';

type Json = Record<string, unknown>;

function invalid(message: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', message);
}

function stringMap(body: Json, key: string): Record<string, string> {
  const value = body[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(`invalid volume config: ${key} must be a map of strings`);
  }
  return value as Record<string, string>;
}

async function serveCreate(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const body = await readJson(ctx.req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('invalid volume config: the body must be a JSON object');
  const config = body as Json;
  const name = config['Name'] ?? '';
  const driver = config['Driver'] ?? '';
  if (typeof name !== 'string') throw invalid('invalid volume config: Name must be a string');
  if (driver !== '' && driver !== 'local') throw invalid(`volume driver ${JSON.stringify(driver)} is not supported: kiln has only the local driver`);
  if (Object.keys(stringMap(config, 'DriverOpts')).length > 0) throw invalid('driver options are not supported by kiln\'s local volumes');
  const volume = await createVolume(engine.root, name === '' ? undefined : name, stringMap(config, 'Labels'));
  sendJson(res, 201, inspectView(new VolumeStore(engine.root), volume));
}

function labelsMatch(volume: Volume, wanted: string[]): boolean {
  return wanted.every((entry) => {
    const eq = entry.indexOf('=');
    return eq < 0 ? Object.hasOwn(volume.labels, entry) : volume.labels[entry.slice(0, eq)] === entry.slice(eq + 1);
  });
}

/** `filters`: dangling (no container uses it), name (part of the name), label, driver. */
async function selectVolumes(engine: ImageEngine, volumes: Volume[], filters: Filters): Promise<Volume[]> {
  const dangling = booleanFilter(filters, 'dangling');
  const users = dangling === undefined ? undefined : await volumeUsers(engine.root);
  const names = filters.get('name');
  const drivers = filters.get('driver');
  return volumes.filter((volume) => (users === undefined || users.has(volume.name) !== dangling)
    && (names === undefined || names.some((part) => volume.name.includes(part)))
    && (drivers === undefined || drivers.includes('local'))
    && labelsMatch(volume, filters.get('label') ?? []));
}

async function serveList(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const filters = parseFilters(ctx.query.get('filters'), ['dangling', 'name', 'label', 'driver']);
  const store = new VolumeStore(engine.root);
  const volumes = await selectVolumes(engine, await store.list(), filters);
  sendJson(res, 200, { Volumes: volumes.map((volume) => inspectView(store, volume)), Warnings: null });
}

async function serveInspect(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const store = new VolumeStore(engine.root);
  const name = ctx.params[0] ?? '';
  const volume = await store.get(name);
  if (volume === undefined) throw new KilnError('NOT_FOUND', `get ${name}: no such volume`);
  sendJson(res, 200, inspectView(store, volume));
}

async function serveRemove(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  await removeVolume(engine.root, ctx.params[0] ?? '', { force: queryFlag(ctx.query, 'force') });
  res.writeHead(204).end();
}

async function servePrune(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  // `all` (API 1.42) is accepted and changes nothing: at 1.41 every unused volume goes.
  parseFilters(ctx.query.get('filters'), ['all']);
  const result = await pruneVolumes(engine.root, { all: true });
  sendJson(res, 200, { VolumesDeleted: result.deleted.length === 0 ? null : result.deleted, SpaceReclaimed: result.reclaimedBytes });
}

export function volumeRoutes(router: Router, engine: ImageEngine): void {
  router
    .on('POST', /^\/volumes\/create$/, (ctx, res) => serveCreate(engine, ctx, res))
    .on('POST', /^\/volumes\/prune$/, (ctx, res) => servePrune(engine, ctx, res))
    .on('GET', /^\/volumes$/, (ctx, res) => serveList(engine, ctx, res))
    .on('GET', /^\/volumes\/([^/]+)$/, (ctx, res) => serveInspect(engine, ctx, res))
    .on('DELETE', /^\/volumes\/([^/]+)$/, (ctx, res) => serveRemove(engine, ctx, res));
}
