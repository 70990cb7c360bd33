// Per-instruction flag checking and RUN --mount / --device values, on hand-made flag nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kilnErrorOf } from '../../helpers/errors.js';
import type { Flag, Range } from '../../../src/dockerfile/ast.js';
import { parseFlags, type FlagSpec } from '../../../src/dockerfile/instructions/flags.js';
import { parseMountSpec, resolveMount } from '../../../src/dockerfile/instructions/mounts.js';
import { parseDevice } from '../../../src/dockerfile/instructions/run.js';
import type { KilnError } from '../../../src/util/errors.js';

const src = { file: 'Dockerfile', lines: ['COPY --form=x a b'] };

function range(start: number, end: number): Range {
  return { start: { line: 1, column: start }, end: { line: 1, column: end } };
}

function flag(text: string, at = 6): Flag {
  const eq = text.indexOf('=');
  const name = (eq === -1 ? text : text.slice(0, eq)).slice(2);
  return { text, name, value: eq === -1 ? undefined : text.slice(eq + 1), range: range(at, at + text.length) };
}

const copySpecs: FlagSpec[] = [
  { name: 'from', kind: 'string' },
  { name: 'link', kind: 'bool' },
  { name: 'exclude', kind: 'strings' },
];

function kilnError(fn: () => unknown): KilnError {
  return kilnErrorOf(fn);
}

test('flags: values, booleans and repeatable flags', () => {
  const flags = parseFlags('COPY', [flag('--from=build'), flag('--link=FALSE'), flag('--exclude=*.md'), flag('--exclude=tmp')], copySpecs, src);
  assert.equal(flags.string('from'), 'build');
  assert.equal(flags.bool('link'), false);
  assert.ok(flags.has('link'));
  assert.deepEqual(flags.occurrences('exclude').map((o) => o.value), ['*.md', 'tmp']);
  assert.deepEqual(flags.used, ['from', 'link', 'exclude']);
  assert.equal(parseFlags('COPY', [flag('--link')], copySpecs, src).bool('link'), true);
  assert.equal(parseFlags('COPY', [flag('--from=')], copySpecs, src).string('from'), '');
});

test('flags: an unknown flag names the instruction, suggests and lists, located at the flag', () => {
  const err = kilnError(() => parseFlags('COPY', [flag('--form=x')], copySpecs, src));
  assert.equal(err.message, 'unknown flag --form for COPY');
  assert.equal(err.hint, 'did you mean --from? valid flags for COPY: --from, --link, --exclude');
  assert.deepEqual(err.details.source?.range, range(6, 14));
  assert.equal(err.details.source?.text, 'COPY --form=x a b');
  assert.equal(kilnError(() => parseFlags('ENV', [flag('--x')], [], src)).hint, 'ENV takes no flags');
});

test('flags: duplicates, missing values and bad booleans', () => {
  assert.match(kilnError(() => parseFlags('COPY', [flag('--from=a'), flag('--from=b')], copySpecs, src)).message, /duplicate flag --from for COPY/);
  assert.match(kilnError(() => parseFlags('COPY', [flag('--from')], copySpecs, src)).message, /missing value for flag --from of COPY/);
  assert.match(kilnError(() => parseFlags('COPY', [flag('--exclude')], copySpecs, src)).message, /missing value for flag --exclude/);
  assert.match(kilnError(() => parseFlags('COPY', [flag('--link=')], copySpecs, src)).message, /missing value for flag --link/);
  const bad = kilnError(() => parseFlags('COPY', [flag('--link=yes')], copySpecs, src));
  assert.equal(bad.message, 'invalid boolean value "yes" for flag --link of COPY');
  assert.equal(bad.hint, 'write --link, --link=true or --link=false');
});

const identity = (w: string): string => w;

function mount(text: string) {
  return resolveMount(parseMountSpec(text, range(5, 5 + text.length), src), identity, src);
}

test('mounts: defaults per type', () => {
  const bind = mount('target=/src');
  assert.equal(bind.type, 'bind');
  assert.equal(bind.readOnly, true);
  const cache = mount('type=cache,target=/root/.cache,id=go,sharing=locked,mode=0700,uid=1000');
  assert.deepEqual({ ...cache, range: undefined }, {
    type: 'cache', from: undefined, source: undefined, target: '/root/.cache', readOnly: false, sizeLimit: 0, id: 'go',
    sharing: 'locked', required: false, env: undefined, mode: 0o700, uid: 1000, gid: undefined, range: undefined,
  });
  assert.equal(mount('type=tmpfs,dst=/t,size=64m').sizeLimit, 64 * 2 ** 20);
  assert.equal(mount('type=bind,target=/a,rw').readOnly, false);
  assert.equal(mount('type=cache,target=/a,ro=true').readOnly, true);
  const secret = mount('type=secret,id=npm,env=NPM_TOKEN,required');
  assert.equal(secret.required, true);
  assert.equal(secret.env, 'NPM_TOKEN');
  assert.equal(mount('type=ssh').type, 'ssh');
  assert.equal(mount('Type=CACHE,Target=/x').type, 'cache');
});

test('mounts: errors with suggestions', () => {
  const typo = kilnError(() => mount('type=cache,tagret=/x'));
  assert.match(typo.message, /unexpected key 'tagret'/);
  assert.match(typo.hint ?? '', /did you mean target\?/);
  const badType = kilnError(() => mount('type=cach,target=/x'));
  assert.equal(badType.message, 'unsupported mount type "cach"');
  assert.match(badType.hint ?? '', /did you mean cache\?.*bind, cache, tmpfs, secret, ssh/);
  assert.match(kilnError(() => mount('type=cache')).message, /mount type=cache requires a target/);
  assert.match(kilnError(() => mount('type=bind,target=/a,ro=maybe')).message, /invalid value "maybe" for ro/);
  assert.match(kilnError(() => mount('type=bind,target=/a,mode=0755')).message, /mode not allowed for "bind" type mounts/);
  assert.match(kilnError(() => mount('required,type=secret,id=a')).message, /unexpected key 'required' for mount type 'bind'/);
  assert.match(kilnError(() => mount('type=cache,target=/a,size=1m')).message, /unexpected key 'size'/);
  assert.match(kilnError(() => mount('type=cache,target=/a,sharing=open')).message, /unsupported sharing value "open"/);
  assert.match(kilnError(() => mount('type=bind,target=/a,sharing=shared')).message, /invalid cache sharing set for bind mount/);
  assert.match(kilnError(() => mount('type=secret')).message, /invalid secret mount/);
  assert.match(kilnError(() => mount('type=secret,id=a,from=x')).message, /secret mount should not have a from/);
  assert.match(kilnError(() => mount('type=secret,id=a,source=b')).message, /both source and id/);
  assert.match(kilnError(() => mount('type=ssh,source=a')).message, /ssh mounts do not support source/);
  assert.match(kilnError(() => mount('type=cache,target=/a,uid=x')).message, /invalid value "x" for uid/);
  assert.match(kilnError(() => mount('type=cache,target=/a,nothing')).message, /must be a key=value pair/);
  assert.match(kilnError(() => mount('type=cache,target="/a')).message, /invalid --mount value/);
});

test('mounts: from= must be literal, other values are expanded at dispatch', () => {
  assert.match(kilnError(() => parseMountSpec('from=$STAGE,target=/x', range(1, 2), src)).message, /variable expansion is not supported for --mount from/);
  assert.equal(parseMountSpec('from=build$,target=/x', range(1, 2), src).from, 'build$');
  const spec = parseMountSpec('type=cache,target=$DIR,id=${ID}', range(1, 2), src);
  assert.equal(spec.from, undefined);
  const env = new Map([['DIR', '/cache'], ['ID', 'x']]);
  const resolved = resolveMount(spec, (w) => w.replace(/\$\{?(\w+)\}?/g, (_, n: string) => env.get(n) ?? ''), src);
  assert.equal(resolved.target, '/cache');
  assert.equal(resolved.id, 'x');
});

test('devices: a CDI name and the required option', () => {
  assert.deepEqual(parseDevice('vendor.com/gpu=all', range(1, 2), src), { name: 'vendor.com/gpu=all', required: false });
  assert.deepEqual(parseDevice('name=nvidia.com/gpu=0,required', range(1, 2), src), { name: 'nvidia.com/gpu=0', required: true });
  assert.deepEqual(parseDevice('gpu,required=false', range(1, 2), src), { name: 'gpu', required: false });
  assert.match(kilnError(() => parseDevice('a,name=b', range(1, 2), src)).message, /device name already set to a/);
  assert.match(kilnError(() => parseDevice('a,requird=true', range(1, 2), src)).hint ?? '', /did you mean required\?/);
});
