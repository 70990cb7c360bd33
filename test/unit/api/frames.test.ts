// The attach stream's framing: docker's 8-byte headers, and a decoder that reassembles frames
// however the socket splits or coalesces them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROL, encodeControl, encodeFrame, FrameDecoder, parseControl, STDERR, STDOUT } from '../../../src/api/frames.js';

const frames = [
  encodeFrame(STDOUT, Buffer.from('out\n')),
  encodeFrame(STDERR, Buffer.from('err\n')),
  encodeFrame(STDOUT, Buffer.alloc(0)),
  encodeControl({ exit: { code: 3 } }),
];
const stream = Buffer.concat(frames);

function decoded(chunks: Buffer[]): Array<[number, string]> {
  const decoder = new FrameDecoder();
  const out = chunks.flatMap((chunk) => decoder.push(chunk)).map((f): [number, string] => [f.stream, f.payload.toString()]);
  assert.equal(decoder.pending, 0);
  return out;
}

const expected: Array<[number, string]> = [[STDOUT, 'out\n'], [STDERR, 'err\n'], [STDOUT, ''], [CONTROL, '{"exit":{"code":3}}']];

describe('attach stream frames', () => {
  it('writes docker\'s header: stream byte, three zero bytes, big-endian length', () => {
    assert.deepEqual([...encodeFrame(STDERR, Buffer.from('abc')).subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 3]);
    const big = encodeFrame(STDOUT, Buffer.alloc(0x10203));
    assert.deepEqual([...big.subarray(0, 8)], [1, 0, 0, 0, 0, 1, 2, 3]);
  });

  it('decodes frames coalesced into one chunk', () => {
    assert.deepEqual(decoded([stream]), expected);
  });

  it('decodes frames split at every byte', () => {
    assert.deepEqual(decoded([...stream].map((byte) => Buffer.from([byte]))), expected);
  });

  it('decodes frames split inside headers and payloads', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      assert.deepEqual(decoded([stream.subarray(0, cut), stream.subarray(cut)]), expected, `cut at ${cut}`);
    }
  });

  it('keeps an unfinished frame pending', () => {
    const decoder = new FrameDecoder();
    assert.deepEqual(decoder.push(stream.subarray(0, 10)), []);
    assert.equal(decoder.pending, 10);
  });

  it('round-trips control messages', () => {
    const [frame] = new FrameDecoder().push(encodeControl({ error: { message: 'm', code: 'NOT_FOUND', exitStatus: 127 } }));
    assert.equal(frame?.stream, CONTROL);
    assert.deepEqual(parseControl(frame?.payload ?? Buffer.alloc(0)), { error: { message: 'm', code: 'NOT_FOUND', exitStatus: 127 } });
  });
});
