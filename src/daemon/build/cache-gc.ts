// The build cache's size cap, which the daemon enforces after every build as BuildKit's GC
// does: when the cache outgrows `keepStorage` bytes, the least recently used entries go until
// it fits, images' steps included (an image needs its blobs, not the build's snapshots). The
// default cap is BuildKit's: a tenth of the filesystem holding the store.
//
// A build holds its shared lease through holdCacheForBuild(); releasing it schedules the check
// in the engine's background work, so the build's result never waits for the GC. Checks that
// pile up while one runs are folded into one more run.
import { statfs } from 'node:fs/promises';
import type { ImageEngine } from '../images/engine.js';
import { buildCacheLock } from './cache-lock.js';
import { takeInventory } from './cache-inventory.js';
import { pruneWith } from './prune.js';
import { cacheSize } from './prune-select.js';

export interface CacheGcPolicy {
  /** Bytes the cache may hold after a build. */
  keepStorage: number;
}

const policies = new WeakMap<ImageEngine, CacheGcPolicy>();
const running = new WeakMap<ImageEngine, { again: boolean }>();

/** A tenth of the size of the filesystem holding `root`, as BuildKit's default GC cap. */
export async function defaultKeepStorage(root: string): Promise<number> {
  const fs = await statfs(root);
  return Math.floor((fs.blocks * fs.bsize) / 10);
}

/** Turns the cap on for `engine` (the daemon does, at start). */
export function enableCacheGc(engine: ImageEngine, policy: CacheGcPolicy): void {
  policies.set(engine, policy);
}

/** The cache's size once a shared lease lets it be measured; over the cap, a prune down to it. */
async function enforceCap(engine: ImageEngine, keepStorage: number): Promise<void> {
  const release = await buildCacheLock(engine).shared();
  let size: number;
  try {
    size = cacheSize((await takeInventory(engine, false)).entries);
  } finally {
    release();
  }
  if (size > keepStorage) await pruneWith(engine, { all: true, keepStorage });
}

/** Checks the cap in the background, if the engine has one. */
export function scheduleCacheGc(engine: ImageEngine): void {
  const policy = policies.get(engine);
  if (policy === undefined) return;
  const current = running.get(engine);
  if (current !== undefined) {
    current.again = true;
    return;
  }
  const state = { again: true };
  running.set(engine, state);
  engine.background.add('build cache GC', (async () => {
    try {
      while (state.again) {
        state.again = false;
        await enforceCap(engine, policy.keepStorage);
      }
    } finally {
      running.delete(engine);
    }
  })());
}

/**
 * The lease a build holds on the cache from its first lookup to its export (`await using`):
 * a prune waits for it, and its end schedules the size check.
 */
export async function holdCacheForBuild(engine: ImageEngine): Promise<AsyncDisposable> {
  const release = await buildCacheLock(engine).shared();
  return {
    [Symbol.asyncDispose]: async () => {
      release();
      scheduleCacheGc(engine);
    },
  };
}
