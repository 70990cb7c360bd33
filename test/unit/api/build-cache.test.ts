// `--cache-from` and `--cache-to` as BuildKit and buildx spell them: a bare reference for the
// registry, comma-separated fields read the way Go's csv reader reads them (a field may be
// quoted to hold a comma), kiln's defaults (mode=min, ignore-error=true), errors that name the
// flag they came from, and specs that survive format → parse unchanged (the CLI formats what
// it parsed and the daemon parses it again).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatCacheExport, formatCacheImport, parseCacheExport, parseCacheImport, type CacheExport, type CacheImport,
} from '../../../src/api/build-cache.js';
import { kilnErrorOf } from '../../helpers/errors.js';

/** The INVALID_ARGUMENT error `parse` throws, checked to name `flag` in its message and details. */
function refusal(parse: () => unknown, flag: string, message: RegExp): void {
  const err = kilnErrorOf(parse);
  assert.equal(err.code, 'INVALID_ARGUMENT');
  assert.equal(err.details.flag, flag);
  assert.ok(err.message.startsWith(`${flag}: `), err.message);
  assert.match(err.message, message);
}

describe('--cache-from', () => {
  it('takes a bare reference as a registry cache', () => {
    assert.deepEqual(parseCacheImport('registry.example:5000/team/app:buildcache'), { type: 'registry', ref: 'registry.example:5000/team/app:buildcache' });
    assert.deepEqual(parseCacheImport('  app@sha256:' + 'a'.repeat(64) + ' '), { type: 'registry', ref: `app@sha256:${'a'.repeat(64)}` });
  });

  it('reads type=registry and type=local with each of their fields', () => {
    assert.deepEqual(parseCacheImport('type=registry,ref=host/app:cache'), { type: 'registry', ref: 'host/app:cache' });
    assert.deepEqual(parseCacheImport('type=local,src=/var/cache/app'), { type: 'local', src: '/var/cache/app' });
    assert.deepEqual(parseCacheImport('type=local,src=/c,tag=v2'), { type: 'local', src: '/c', tag: 'v2' });
    const digest = `sha256:${'b'.repeat(64)}`;
    assert.deepEqual(parseCacheImport(`src=/c,type=local,digest=${digest}`), { type: 'local', src: '/c', digest });
  });

  it('reads a quoted field that holds a comma, and a doubled quote inside it', () => {
    assert.deepEqual(parseCacheImport('type=local,"src=/caches/a,b"'), { type: 'local', src: '/caches/a,b' });
    assert.deepEqual(parseCacheImport('"type=local","src=/caches/say ""hi"", twice"'), { type: 'local', src: '/caches/say "hi", twice' });
  });

  it('keeps everything after the first = as the value', () => {
    assert.deepEqual(parseCacheImport('type=local,src=/caches/k=v'), { type: 'local', src: '/caches/k=v' });
  });

  it('accepts the fields BuildKit defaults kiln already follows', () => {
    assert.deepEqual(parseCacheImport('type=registry,ref=h/a:c,oci-mediatypes=true,image-manifest=true,registry.insecure=true'), { type: 'registry', ref: 'h/a:c' });
  });

  it('refuses, naming the flag: an unknown or missing type, a missing ref or src, an unknown field', () => {
    const typeErr = kilnErrorOf(() => parseCacheImport('type=s3,bucket=b'));
    assert.match(typeErr.message, /^--cache-from: unknown cache type "s3"/);
    assert.equal(typeErr.details.flag, '--cache-from');
    assert.match(typeErr.hint ?? '', /registry and local/);
    refusal(() => parseCacheImport('ref=host/app:cache'), '--cache-from', /unknown cache type ""/);
    refusal(() => parseCacheImport('type=inline'), '--cache-from', /unknown cache type "inline"/);
    refusal(() => parseCacheImport('type=registry'), '--cache-from', /type=registry needs ref=/);
    refusal(() => parseCacheImport('type=registry,ref='), '--cache-from', /type=registry needs ref=/);
    refusal(() => parseCacheImport(''), '--cache-from', /type=registry needs ref=/);
    refusal(() => parseCacheImport('type=local,tag=v1'), '--cache-from', /type=local needs src=/);
    refusal(() => parseCacheImport('type=local,dest=/c'), '--cache-from', /type=local has no field "dest"/);
    refusal(() => parseCacheImport('type=registry,ref=h/a,timeout=5'), '--cache-from', /type=registry has no field "timeout"/);
  });

  it('takes an export\'s mode and ignore-error and ignores them, as buildx does: one spec serves both flags', () => {
    assert.deepEqual(parseCacheImport('type=registry,ref=h/a,mode=max,ignore-error=true'), { type: 'registry', ref: 'h/a' });
  });

  it('refuses a field without = and an unterminated quote', () => {
    refusal(() => parseCacheImport('type=local,/c'), '--cache-from', /invalid field "\/c": expected key=value/);
    refusal(() => parseCacheImport('type=local,=x'), '--cache-from', /invalid field "=x"/);
    refusal(() => parseCacheImport('host/a,host/b'), '--cache-from', /invalid field "host\/a"/);
    refusal(() => parseCacheImport('type=local,"src=/c'), '--cache-from', /unterminated quote/);
  });

  it('names the flag it is given (the daemon parses the request field cacheFrom)', () => {
    refusal(() => parseCacheImport('type=nope', 'cacheFrom'), 'cacheFrom', /unknown cache type "nope"/);
  });
});

describe('--cache-to', () => {
  it('takes a bare reference as a registry export with the defaults', () => {
    assert.deepEqual(parseCacheExport('host/app:cache'), { type: 'registry', ref: 'host/app:cache', mode: 'min', ignoreError: true });
  });

  it('reads type=registry, type=local and type=inline with each of their fields', () => {
    assert.deepEqual(parseCacheExport('type=registry,ref=h/a:c,mode=max,ignore-error=false'), { type: 'registry', ref: 'h/a:c', mode: 'max', ignoreError: false });
    assert.deepEqual(parseCacheExport('type=local,dest=/c'), { type: 'local', dest: '/c', mode: 'min', ignoreError: true });
    assert.deepEqual(parseCacheExport('type=local,dest=/c,tag=v2,mode=max,ignore-error=true'), { type: 'local', dest: '/c', tag: 'v2', mode: 'max', ignoreError: true });
    assert.deepEqual(parseCacheExport('type=inline'), { type: 'inline' });
    assert.deepEqual(parseCacheExport('type=inline,mode=min'), { type: 'inline' });
  });

  it('reads ignore-error as true or false in any case, or 1 or 0', () => {
    for (const [text, value] of [['1', true], ['TRUE', true], ['True', true], ['0', false], ['false', false], ['FALSE', false]] as const) {
      assert.equal((parseCacheExport(`type=registry,ref=h/a,ignore-error=${text}`) as { ignoreError: boolean }).ignoreError, value, text);
    }
  });

  it('reads quoted destinations with commas', () => {
    assert.deepEqual(parseCacheExport('type=local,"dest=/caches/x,y",mode=max'), { type: 'local', dest: '/caches/x,y', mode: 'max', ignoreError: true });
  });

  it('accepts the fields BuildKit defaults kiln already follows', () => {
    const spec = parseCacheExport('type=registry,ref=h/a:c,mode=max,oci-mediatypes=true,image-manifest=true,compression=gzip,force-compression=false');
    assert.deepEqual(spec, { type: 'registry', ref: 'h/a:c', mode: 'max', ignoreError: true });
  });

  it('refuses another value of those fields than the one kiln follows, rather than ignoring it', () => {
    refusal(() => parseCacheExport('type=local,dest=/c,compression=zstd'), '--cache-to', /compression=zstd: kiln's cache is always an OCI image manifest of gzip layers/);
    refusal(() => parseCacheExport('type=registry,ref=h/a,image-manifest=false'), '--cache-to', /image-manifest=false/);
    refusal(() => parseCacheExport('type=registry,ref=h/a,compression-level=3'), '--cache-to', /has no field "compression-level"/);
  });

  it('refuses, naming the flag: unknown type, missing ref or dest, unknown field, bad mode, bad boolean', () => {
    const typeErr = kilnErrorOf(() => parseCacheExport('type=s3,ref=x'));
    assert.match(typeErr.message, /^--cache-to: unknown cache type "s3"/);
    assert.equal(typeErr.details.flag, '--cache-to');
    assert.match(typeErr.hint ?? '', /registry, local and inline/);
    refusal(() => parseCacheExport('type=gha'), '--cache-to', /unknown cache type "gha"/);
    refusal(() => parseCacheExport('type=registry,mode=max'), '--cache-to', /type=registry needs ref=/);
    refusal(() => parseCacheExport('type=local'), '--cache-to', /type=local needs dest=/);
    refusal(() => parseCacheExport('type=local,src=/c'), '--cache-to', /type=local has no field "src"/);
    refusal(() => parseCacheExport('type=registry,ref=h/a,timeout=5'), '--cache-to', /type=registry has no field "timeout"/);
    refusal(() => parseCacheExport('type=inline,ref=h/a'), '--cache-to', /type=inline has no field "ref"/);
    refusal(() => parseCacheExport('type=registry,ref=h/a,mode=all'), '--cache-to', /mode=all: expected min or max/);
    refusal(() => parseCacheExport('type=local,dest=/c,ignore-error=maybe'), '--cache-to', /ignore-error=maybe: expected true or false/);
  });

  it('refuses type=inline with mode=max, saying why', () => {
    refusal(() => parseCacheExport('type=inline,mode=max'), '--cache-to', /type=inline takes mode=min only/);
  });

  it('refuses an unterminated quote', () => {
    refusal(() => parseCacheExport('type=local,"dest=/c,mode=max'), '--cache-to', /unterminated quote in "type=local,\\"dest=\/c,mode=max"/);
  });

  it('names the flag it is given (the daemon parses the request field cacheTo)', () => {
    refusal(() => parseCacheExport('type=local', 'cacheTo'), 'cacheTo', /type=local needs dest=/);
  });
});

describe('formatting a parsed spec', () => {
  const imports: CacheImport[] = [
    { type: 'registry', ref: 'host:5000/team/app:buildcache' },
    { type: 'local', src: '/c' },
    { type: 'local', src: '/caches/with,comma and "quotes"', tag: 'v2' },
    { type: 'local', src: '/c', digest: `sha256:${'c'.repeat(64)}` },
  ];
  const exports: CacheExport[] = [
    { type: 'registry', ref: 'host/app:cache', mode: 'min', ignoreError: true },
    { type: 'registry', ref: 'host/app:cache', mode: 'max', ignoreError: false },
    { type: 'local', dest: '/c', mode: 'max', ignoreError: true },
    { type: 'local', dest: '/a,b/"c"', tag: 'v2', mode: 'min', ignoreError: false },
    { type: 'inline' },
  ];

  it('gives back the same import when parsed again', () => {
    for (const spec of imports) assert.deepEqual(parseCacheImport(formatCacheImport(spec)), spec);
  });

  it('gives back the same export when parsed again', () => {
    for (const spec of exports) assert.deepEqual(parseCacheExport(formatCacheExport(spec)), spec);
  });

  it('writes the explicit form, quoting only the fields that need it', () => {
    assert.equal(formatCacheImport(parseCacheImport('host/app:c')), 'type=registry,ref=host/app:c');
    assert.equal(formatCacheExport(parseCacheExport('host/app:c')), 'type=registry,ref=host/app:c,mode=min,ignore-error=true');
    assert.equal(formatCacheExport({ type: 'local', dest: '/a,b', mode: 'max', ignoreError: true }), 'type=local,"dest=/a,b",mode=max,ignore-error=true');
  });

  it('is stable: formatting what it parsed gives the same text', () => {
    for (const spec of exports) {
      const text = formatCacheExport(spec);
      assert.equal(formatCacheExport(parseCacheExport(text)), text);
    }
  });
});
