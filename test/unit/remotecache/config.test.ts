// The cache config a `--cache-to` export writes and a `--cache-from` import reads: the builder
// stores a chain prefix or a layer shared by many records once and sorts the records (equal
// caches are equal bytes); the parser refuses, naming where the config came from, anything an
// import would otherwise trip over later (an index out of range, a chain that loops); and a
// record's chain comes back bottom layer first.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { digestBytes, type Digest } from '../../../src/content/index.js';
import { MediaTypes } from '../../../src/image/index.js';
import {
  CacheConfigBuilder, parseCacheConfig, type CacheConfig, type CacheLayer, type ChainNode,
} from '../../../src/remotecache/config.js';
import { kilnErrorOf } from '../../helpers/errors.js';

/** The layers of chain node `top`, bottom first: the test's own reading of a chain. */
function chainLayers(config: CacheConfig, top: number): CacheLayer[] {
  const layers: CacheLayer[] = [];
  for (let at = top; at !== -1; at = (config.chains[at] as ChainNode).parent) layers.unshift(config.layers[(config.chains[at] as ChainNode).layer] as CacheLayer);
  return layers;
}

function layer(name: string, extra: Partial<CacheLayer> = {}): CacheLayer {
  return {
    blob: { mediaType: MediaTypes.ociLayerGzip, digest: digestBytes(`blob ${name}`), size: name.length + 10 },
    diffId: digestBytes(`tar ${name}`),
    ...extra,
  };
}

const key = (name: string): Digest => digestBytes(`key ${name}`);

const base = layer('base', { image: true });
const deps = layer('deps', { created: '2026-01-02T03:04:05Z' });
const app = layer('app', { created: '2026-01-02T03:04:06Z' });
const tests = layer('tests', { created: '2026-01-02T03:04:07Z' });

describe('CacheConfigBuilder', () => {
  it('stores a chain prefix shared by records, and an equal layer, once', () => {
    const builder = new CacheConfigBuilder();
    builder.add(key('deps'), [base, deps]);
    builder.add(key('app'), [base, deps, app]);
    builder.add(key('tests'), [base, deps, tests]);
    // The same layers again, as equal but distinct objects (another step that made the same result).
    builder.add(key('app again'), [structuredClone(base), structuredClone(deps), structuredClone(app)]);
    builder.add(key('base'), [base]);
    const config = builder.build();
    assert.equal(builder.build().records.length, 5);
    assert.deepEqual(config.layers, [base, deps, app, tests]);
    // base, base→deps, deps→app, deps→tests: four nodes for five records over eleven layer uses.
    assert.deepEqual(config.chains, [
      { layer: 0, parent: -1 },
      { layer: 1, parent: 0 },
      { layer: 2, parent: 1 },
      { layer: 3, parent: 1 },
    ]);
    const chainOf = new Map(config.records.map((record) => [record.key, record.chain]));
    assert.equal(chainOf.get(key('base')), 0);
    assert.equal(chainOf.get(key('deps')), 1);
    assert.equal(chainOf.get(key('app')), 2);
    assert.equal(chainOf.get(key('app again')), 2);
    assert.equal(chainOf.get(key('tests')), 3);
  });

  it('keeps a layer on another parent as another chain node, and the same blob made at another time as another layer', () => {
    const builder = new CacheConfigBuilder();
    builder.add(key('a'), [base, app]);
    builder.add(key('b'), [app]);
    builder.add(key('c'), [base, { ...app, created: '2027-01-01T00:00:00Z' }]);
    const config = builder.build();
    assert.equal(config.layers.length, 3);
    assert.deepEqual(config.chains, [
      { layer: 0, parent: -1 },
      { layer: 1, parent: 0 },
      { layer: 1, parent: -1 },
      { layer: 2, parent: 0 },
    ]);
  });

  it('files the empty filesystem as chain -1, and a key added twice once, with its last chain', () => {
    const builder = new CacheConfigBuilder();
    builder.add(key('scratch'), []);
    builder.add(key('twice'), [base]);
    builder.add(key('twice'), [base, deps]);
    const config = builder.build();
    assert.equal(builder.build().records.length, 2);
    const chainOf = new Map(config.records.map((record) => [record.key, record.chain]));
    assert.equal(chainOf.get(key('scratch')), -1);
    assert.equal(chainOf.get(key('twice')), 1);
  });

  it('sorts records by key, whatever order they were added in', () => {
    const names = Array.from({ length: 50 }, (_, at) => `step ${at}`);
    const nameOf = new Map(names.map((name) => [key(name), name]));
    const build = (order: string[]): CacheConfig => {
      const builder = new CacheConfigBuilder();
      for (const name of order) builder.add(key(name), [base, layer(name)]);
      return builder.build();
    };
    const forward = build(names);
    const keys = forward.records.map((record) => record.key);
    assert.deepEqual(keys, [...nameOf.keys()].sort());
    const backward = build([...names].reverse());
    assert.deepEqual(backward.records.map((record) => record.key), keys);
    // Each record still names its own chain, whatever the order it was added in.
    for (const config of [forward, backward]) {
      for (const record of config.records) {
        assert.deepEqual(chainLayers(config, record.chain), [base, layer(nameOf.get(record.key) as string)]);
      }
    }
  });
});

describe('chainLayers', () => {
  it('walks a record\'s chain bottom layer first', () => {
    const builder = new CacheConfigBuilder();
    builder.add(key('app'), [base, deps, app]);
    builder.add(key('tests'), [base, deps, tests]);
    const config = builder.build();
    const chainOf = new Map(config.records.map((record) => [record.key, record.chain]));
    assert.deepEqual(chainLayers(config, chainOf.get(key('app')) as number), [base, deps, app]);
    assert.deepEqual(chainLayers(config, chainOf.get(key('tests')) as number), [base, deps, tests]);
    assert.deepEqual(chainLayers(config, 0), [base]);
    assert.deepEqual(chainLayers(config, -1), []);
  });
});

const location = 'registry.example/team/app:buildcache';

/** A valid config: base ← deps ← app, and records on each. */
function validConfig(): CacheConfig {
  const builder = new CacheConfigBuilder();
  builder.add(key('scratch'), []);
  builder.add(key('base'), [base]);
  builder.add(key('app'), [base, deps, app]);
  return builder.build();
}

const bytesOf = (value: unknown): Uint8Array => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

/** The error parsing `value` throws: INVALID_ARGUMENT, naming the location, with a hint to export again. */
function refusal(value: unknown, what: RegExp): void {
  const err = kilnErrorOf(() => parseCacheConfig(bytesOf(value), location));
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.ok(err.message.startsWith(`the cache config from ${location} is not valid: `), err.message);
  assert.match(err.message, what);
  assert.match(err.hint ?? '', /--cache-to/);
}

describe('parseCacheConfig', () => {
  it('reads back what the builder built', () => {
    const config = validConfig();
    assert.deepEqual(parseCacheConfig(bytesOf(config), location), config);
  });

  it('refuses bytes that are not JSON, and a version other than 1', () => {
    refusal('{"version": 1, "layers": [', /JSON/);
    refusal({ ...validConfig(), version: 2 }, /version 2 is not 1/);
    refusal({ ...validConfig(), version: '1' }, /version "1" is not 1/);
    refusal(null, /version undefined is not 1/);
    refusal([], /version undefined is not 1/);
  });

  it('refuses layers, chains or records that are not lists', () => {
    refusal({ ...validConfig(), layers: {} }, /layers, chains and records must be lists/);
    refusal({ ...validConfig(), chains: 'none' }, /must be lists/);
    const { records: _, ...noRecords } = validConfig();
    refusal(noRecords, /must be lists/);
  });

  it('refuses a layer without a diff ID or with a malformed descriptor, naming it', () => {
    const config = validConfig();
    const { diffId: _, ...noDiffId } = config.layers[1] as CacheLayer;
    refusal({ ...config, layers: [config.layers[0], noDiffId, config.layers[2]] }, /layer 1 is not a layer descriptor with a diff ID/);
    refusal({ ...config, layers: [{ ...base, diffId: 'sha256:short' }] }, /layer 0 is not/);
    refusal({ ...config, layers: [{ ...base, blob: { ...base.blob, digest: 'md5:abc' } }] }, /layer 0 is not/);
    refusal({ ...config, layers: [{ ...base, blob: { ...base.blob, size: -1 } }] }, /layer 0 is not/);
    refusal({ ...config, layers: [{ ...base, blob: { digest: base.blob.digest, size: 1 } }] }, /layer 0 is not/);
    refusal({ ...config, layers: [{ ...base, image: false }] }, /layer 0 is not/);
    refusal({ ...config, layers: [{ ...deps, created: 17 }] }, /layer 0 is not/);
    refusal({ ...config, layers: [null] }, /layer 0 is not/);
  });

  it('refuses a chain node naming a layer out of range', () => {
    const config = validConfig();
    refusal({ ...config, chains: [...config.chains, { layer: config.layers.length, parent: 0 }] }, /chain node 3 names a layer or parent out of range/);
    refusal({ ...config, chains: [{ layer: -1, parent: -1 }] }, /chain node 0 names a layer or parent out of range/);
    refusal({ ...config, chains: [{ layer: 0.5, parent: -1 }] }, /chain node 0/);
    refusal({ ...config, chains: [{ layer: '0', parent: -1 }] }, /chain node 0/);
    refusal({ ...config, chains: [{ parent: -1 }] }, /chain node 0/);
    refusal({ ...config, chains: [null] }, /chain node 0/);
  });

  it('refuses a chain whose parent is itself or comes after it: no chain may loop', () => {
    refusal({ ...validConfig(), chains: [{ layer: 0, parent: 0 }] }, /chain node 0 names a layer or parent out of range/);
    // 0 → 1 → 0: each index is in range of the list, but node 0 points forward.
    refusal({ ...validConfig(), chains: [{ layer: 0, parent: 1 }, { layer: 1, parent: 0 }], records: [] }, /chain node 0 names a layer or parent out of range/);
    refusal({ ...validConfig(), chains: [{ layer: 0, parent: -1 }, { layer: 1, parent: 5 }], records: [] }, /chain node 1/);
    refusal({ ...validConfig(), chains: [{ layer: 0, parent: -2 }], records: [] }, /chain node 0/);
  });

  it('refuses a record with a bad key or a chain out of range, naming it', () => {
    const config = validConfig();
    const records = (extra: unknown): unknown => ({ ...config, records: [...config.records, extra] });
    const at = config.records.length;
    refusal(records({ key: 'not-a-digest', chain: 0 }), new RegExp(`record ${at} is not a key with a chain`));
    refusal(records({ key: `sha256:${'A'.repeat(64)}`, chain: 0 }), /record 3 is not a key with a chain/);
    refusal(records({ chain: 0 }), /record 3/);
    refusal(records({ key: key('x'), chain: config.chains.length }), /record 3 is not a key with a chain/);
    refusal(records({ key: key('x'), chain: -2 }), /record 3/);
    refusal(records({ key: key('x') }), /record 3/);
    refusal(records(null), /record 3/);
  });

  it('accepts a record of the empty filesystem (chain -1) and unknown extra fields', () => {
    const config = validConfig();
    const parsed = parseCacheConfig(bytesOf({ ...config, producer: 'kiln', records: [{ key: key('scratch'), chain: -1 }] }), location);
    assert.deepEqual(parsed.records, [{ key: key('scratch'), chain: -1 }]);
    assert.equal('producer' in parsed, false);
  });
});
