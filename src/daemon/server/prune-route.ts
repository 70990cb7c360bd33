// `POST /kiln/v1/build/prune`: `docker builder prune` through the daemon, which owns the cache
// and its lock. Body {all?, keepStorage?, filters?}; answer {removed: [...], reclaimed: bytes}.
import { KilnError } from '../../util/errors.js';
import { pruneBuildCache, type PruneOptions } from '../build/index.js';
import type { ImageEngine } from '../images/engine.js';
import { readJson, sendJson, type Router } from './http.js';

function invalid(field: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `prune request: ${field} must be ${what}`);
}

export function parsePruneRequest(value: unknown): PruneOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('the body', 'a JSON object');
  const { all, keepStorage, filters } = value as Record<string, unknown>;
  if (all !== undefined && typeof all !== 'boolean') throw invalid('all', 'a boolean');
  if (keepStorage !== undefined && !(Number.isSafeInteger(keepStorage) && (keepStorage as number) >= 0)) throw invalid('keepStorage', 'a number of bytes');
  if (filters !== undefined && !(Array.isArray(filters) && filters.every((filter) => typeof filter === 'string'))) throw invalid('filters', 'a list of strings');
  return {
    ...(all === undefined ? {} : { all }),
    ...(keepStorage === undefined ? {} : { keepStorage: keepStorage as number }),
    ...(filters === undefined ? {} : { filters: filters as string[] }),
  };
}

export function pruneRoutes(router: Router, engine: ImageEngine): void {
  router.on('POST', /^\/kiln\/v1\/build\/prune$/, async (ctx, res) => {
    const options = parsePruneRequest(await readJson(ctx.req));
    const result = await pruneBuildCache(engine, options);
    ctx.log.info('build cache pruned', { reqId: ctx.reqId, entries: result.removed.length, reclaimed: result.reclaimed });
    sendJson(res, 200, result);
  });
}
