// A solver cache in memory, for the solver's unit tests: results of string-producing ops by key,
// and (for explaining misses) a step-record store when one is given.
import type { Digest } from '../../src/content/index.js';
import type { CacheManager, StepRecords } from '../../src/solver/index.js';

export class MemoryCache implements CacheManager<string> {
  readonly entries = new Map<Digest, string>();
  constructor(readonly steps?: StepRecords) {}
  async load(key: Digest): Promise<string | undefined> {
    return this.entries.get(key);
  }
  async save(key: Digest, result: string): Promise<void> {
    this.entries.set(key, result);
  }
}
