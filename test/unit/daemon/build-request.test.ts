// The build route's request check: what a client must send, and the messages for what it must not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineDecoder } from '../../../src/api/lines.js';
import { parseBuildRequest } from '../../../src/daemon/server/build-route.js';

const valid = { contextDir: '/src/app', tags: ['app:1'], buildArgs: { A: 'b' } };

test('a build request keeps what it was given and nothing else', () => {
  assert.deepEqual(parseBuildRequest(valid), valid);
  assert.deepEqual(parseBuildRequest({ ...valid, dockerfile: '/src/app/Dockerfile.dev', target: 'test', noCache: true, jobs: 4, extra: 1 }),
    { ...valid, dockerfile: '/src/app/Dockerfile.dev', target: 'test', noCache: true, jobs: 4 });
});

test('a bad build request is refused with the field it got wrong', () => {
  const cases: [unknown, RegExp][] = [
    [null, /the body must be a JSON object/],
    [{ ...valid, contextDir: 'relative/dir' }, /contextDir must be an absolute path/],
    [{ ...valid, dockerfile: 'Dockerfile' }, /dockerfile must be an absolute path/],
    [{ ...valid, tags: 'app:1' }, /tags must be a list of names/],
    [{ ...valid, buildArgs: { A: 1 } }, /buildArgs must be an object of strings/],
    [{ ...valid, jobs: 0 }, /jobs must be a positive integer/],
    [{ ...valid, noCache: 'yes' }, /noCache must be a boolean/],
  ];
  for (const [body, message] of cases) assert.throws(() => parseBuildRequest(body), { code: 'INVALID_ARGUMENT', message });
});

test('messages split into lines however the bytes arrive', () => {
  const decoder = new LineDecoder();
  assert.deepEqual(decoder.push(Buffer.from('{"a":1}\n{"b"')), ['{"a":1}']);
  assert.deepEqual(decoder.push(Buffer.from(':2}\n\n')), ['{"b":2}']);
  // A character cut between two chunks.
  const tick = Buffer.from('{"s":"✓"}\n');
  assert.deepEqual(decoder.push(tick.subarray(0, 7)), []);
  assert.deepEqual(decoder.push(tick.subarray(7)), ['{"s":"✓"}']);
});
