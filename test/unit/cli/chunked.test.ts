// The CLI's chunked transfer coding (src/cli/client/chunked.ts): the decoder over bodies split at
// every byte, with extensions and trailers; streamBody over a real socket, complete, cut short
// and held back by a slow consumer; and a chunked upload that node's own HTTP server reads.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ChunkedDecoder, sendChunked, streamBody, writeChunkedHead } from '../../../src/cli/client/chunked.js';
import { dial, readBody, readHead } from '../../../src/cli/client/wire.js';
import { KilnError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';

const body = Buffer.from('4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nKiln-Error: abc\r\n\r\n');

/** A raw server on a fresh socket that writes `answer` to every connection once its request head is in. */
async function rawServer(answer: (socket: Socket) => void): Promise<string> {
  const path = join(await tempDir('chunked'), 'd.sock');
  const server = createServer((socket) => {
    socket.once('data', () => answer(socket));
    socket.on('error', () => undefined);
  });
  server.listen(path);
  await once(server, 'listening');
  after(() => server.close());
  return path;
}

async function exchange(path: string, deliver: (data: Buffer) => void | Promise<void>): Promise<Map<string, string>> {
  const socket = await dial(path);
  assert.ok(socket !== undefined);
  try {
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    return await streamBody(socket, await readHead(socket, path), 'the answer', deliver);
  } finally {
    socket.destroy();
  }
}

describe('ChunkedDecoder', () => {
  it('decodes a body split at any byte, with extensions and trailers', () => {
    for (let split = 0; split <= body.length; split++) {
      const decoder = new ChunkedDecoder();
      const data = [...decoder.push(body.subarray(0, split)), ...decoder.push(body.subarray(split))];
      assert.equal(Buffer.concat(data).toString(), 'Wikipedia in\r\n\r\nchunks.', `split at ${split}`);
      assert.equal(decoder.done, true);
      assert.equal(decoder.trailers.get('kiln-error'), 'abc');
    }
  });

  it('is not done before the last chunk, and refuses a size that is not hex', () => {
    const decoder = new ChunkedDecoder();
    decoder.push(body.subarray(0, body.indexOf('0\r\n')));
    assert.equal(decoder.done, false);
    assert.throws(() => new ChunkedDecoder().push(Buffer.from('zz\r\n')), (err) => err instanceof KilnError && /chunk size/.test(err.message));
  });
});

describe('streamBody', () => {
  it('delivers a chunked answer and its trailers, waiting for a slow consumer', async () => {
    const big = Buffer.alloc(1 << 20, 7);
    const path = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      socket.write(`${big.length.toString(16)}\r\n`);
      socket.write(big);
      socket.end('\r\n0\r\nKiln-Error: x\r\n\r\n');
    });
    let received = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    const trailers = await exchange(path, async (data) => {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resume) => setTimeout(resume, 1));
      received += data.length;
      inFlight--;
    });
    assert.equal(received, big.length, 'every delivery finished before the body was done');
    assert.equal(mostInFlight, 1, 'one delivery at a time: the next waits for the consumer');
    assert.equal(trailers.get('kiln-error'), 'x');
  });

  it('rejects an answer cut before its last chunk', async () => {
    const path = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n'));
    await assert.rejects(exchange(path, () => undefined), (err) => err instanceof KilnError && err.code === 'UNAVAILABLE' && /before the answer ended/.test(err.message));
  });
});

describe('sendChunked', () => {
  it('uploads a stream node\'s HTTP server reads whole', async () => {
    const path = join(await tempDir('chunked-upload'), 'd.sock');
    const server = createHttpServer((req, res) => {
      const hash = createHash('sha256');
      req.on('data', (chunk: Buffer) => hash.update(chunk));
      req.on('end', () => res.end(`${req.headers['transfer-encoding']} ${hash.digest('hex')}`));
    });
    server.listen(path);
    await once(server, 'listening');
    after(() => server.close());
    const parts = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 << 10, i));
    const socket = await dial(path);
    assert.ok(socket !== undefined);
    try {
      writeChunkedHead(socket, 'POST', '/load', { Connection: 'close' });
      await sendChunked(socket, Readable.from(parts));
      const response = await readHead(socket, path);
      const expected = createHash('sha256').update(Buffer.concat(parts)).digest('hex');
      assert.equal((await readBody(socket, response)).toString(), `chunked ${expected}`);
    } finally {
      socket.destroy();
    }
  });
});
