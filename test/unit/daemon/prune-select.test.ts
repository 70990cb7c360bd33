// The prune's choice of cache entries: least recently used first, children before parents,
// images' steps kept unless --all, --filter until, --keep-storage and dangling entries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectForPrune, type CacheEntry } from '../../../src/daemon/build/prune-select.js';

const hour = 3_600_000;
const now = Date.parse('2026-01-10T00:00:00Z');

function entry(id: string, hoursAgo: number, extra: Partial<CacheEntry> = {}): CacheEntry {
  return { id, type: 'regular', size: 100, lastUsedAt: now - hoursAgo * hour, shared: false, dangling: false, records: [`${id}.json`], ...extra };
}

const ids = (entries: CacheEntry[]): string[] => entries.map((e) => e.id);

describe('selectForPrune', () => {
  it('removes every unshared entry, least recently used first', () => {
    const entries = [entry('new', 1), entry('old', 50), entry('mid', 10)];
    assert.deepEqual(ids(selectForPrune(entries, { now })), ['old', 'mid', 'new']);
  });

  it('keeps the steps of images unless all', () => {
    const entries = [entry('image-step', 5, { shared: true }), entry('builder-step', 5)];
    assert.deepEqual(ids(selectForPrune(entries, { now })), ['builder-step']);
    assert.deepEqual(ids(selectForPrune(entries, { now, all: true })), ['builder-step', 'image-step']);
  });

  it('removes a child before its parent, and a parent counts as used as late as its children', () => {
    const entries = [entry('base', 100), entry('child', 1, { parent: 'base' }), entry('other', 20)];
    // base was last used through child (1h ago): it goes after other (20h ago), after child.
    assert.deepEqual(ids(selectForPrune(entries, { now, all: true })), ['other', 'child', 'base']);
  });

  it('keeps what the until filter says was used recently, and the parents it needs', () => {
    const entries = [entry('base', 100), entry('child', 1, { parent: 'base' }), entry('stale', 30), entry('fresh', 2)];
    assert.deepEqual(ids(selectForPrune(entries, { now, untilMs: 24 * hour })), ['stale']);
  });

  it('stops once the cache fits keep-storage, evicting the oldest first', () => {
    const entries = [entry('a', 4), entry('b', 3), entry('c', 2), entry('d', 1)];
    assert.deepEqual(ids(selectForPrune(entries, { now, keepStorage: 250 })), ['a', 'b']);
    assert.deepEqual(ids(selectForPrune(entries, { now, keepStorage: 400 })), []);
    assert.deepEqual(ids(selectForPrune(entries, { now, keepStorage: 0 })), ['a', 'b', 'c', 'd']);
  });

  it('removes dangling entries whatever the options, but not from under a kept child', () => {
    const entries = [entry('orphan', 0, { dangling: true, records: [] }), entry('kept', 0, { shared: true }), entry('orphan-parent', 0, { dangling: true, records: [] }), entry('kid', 0, { parent: 'orphan-parent', shared: true })];
    assert.deepEqual(ids(selectForPrune(entries, { now, keepStorage: 10_000, untilMs: 24 * hour })), ['orphan']);
  });
});
