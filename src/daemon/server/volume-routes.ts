// kilnd's native volume API (src/api/volumes.ts) for `kiln volume ...`: create, list, inspect,
// remove and prune kiln's local volumes (src/daemon/volumes), one JSON request and answer each,
// with the messages the CLI printed when it did this in-process ("No such volume: x", "volume is
// in use - [...]").
import type { ServerResponse } from 'node:http';
import { volumesPath, volumesPrunePath, type VolumePruneResponse, type VolumeRecord } from '../../api/volumes.js';
import type { ImageEngine } from '../images/engine.js';
import { createVolume, inspectView, pruneVolumes, removeVolume } from '../volumes/commands.js';
import { VolumeStore } from '../volumes/store.js';
import { parseVolumeCreateRequest, parseVolumePruneRequest } from './container-request.js';
import { readJson, sendJson, type RequestContext, type Router } from './http.js';
import { queryBoolean } from './image-request.js';

function volume(ctx: RequestContext): string {
  return ctx.params[0] ?? '';
}

async function serveCreate(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const request = parseVolumeCreateRequest(await readJson(ctx.req));
  const created: VolumeRecord = await createVolume(engine.root, request.name, request.labels ?? {});
  sendJson(res, 201, created);
}

async function servePrune(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const { all } = parseVolumePruneRequest(await readJson(ctx.req));
  const result: VolumePruneResponse = await pruneVolumes(engine.root, { all: all === true });
  sendJson(res, 200, result);
}

export function nativeVolumeRoutes(router: Router, engine: ImageEngine): void {
  const one = new RegExp(`^${volumesPath}/([^/]+)$`);
  router
    .on('GET', new RegExp(`^${volumesPath}$`), async (_ctx, res) => sendJson(res, 200, await new VolumeStore(engine.root).list() satisfies VolumeRecord[]))
    .on('POST', new RegExp(`^${volumesPath}$`), (ctx, res) => serveCreate(engine, ctx, res))
    .on('POST', new RegExp(`^${volumesPrunePath}$`), (ctx, res) => servePrune(engine, ctx, res))
    .on('GET', one, async (ctx, res) => {
      const store = new VolumeStore(engine.root);
      sendJson(res, 200, inspectView(store, await store.find(volume(ctx))));
    })
    .on('DELETE', one, async (ctx, res) => {
      await removeVolume(engine.root, volume(ctx), { force: queryBoolean(ctx.query, 'force') });
      res.writeHead(204).end();
    });
}
