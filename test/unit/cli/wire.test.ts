// The CLI's hand-written HTTP exchange with kilnd, against a real unix-socket server that answers
// the way the daemon does: heads split across writes, upgrades followed at once by frames,
// Content-Length bodies, and connections that end early.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { daemonRequest, dial, readBody, readHead, responseError, writeRequest } from '../../../src/cli/client/wire.js';
import { KilnError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';

/** A server on a fresh socket that hands each connection, and the request bytes it got, to `answer`. */
async function serve(answer: (socket: Socket, request: string) => void): Promise<string> {
  const path = join(await tempDir('wire'), 'd.sock');
  const connections = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections.add(socket);
    let request = '';
    socket.on('data', (chunk: Buffer) => {
      request += chunk.toString('latin1');
      const end = request.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(request)?.[1] ?? 0);
      if (request.length >= end + 4 + length) answer(socket, request);
    });
  });
  await new Promise<void>((done) => server.listen(path, done));
  after(() => new Promise<void>((done) => {
    server.close(() => done());
    for (const socket of connections) socket.destroy();
  }));
  return path;
}

async function connected(path: string): Promise<Socket> {
  const socket = await dial(path);
  assert.ok(socket !== undefined);
  after(() => socket.destroy());
  return socket;
}

describe('wire: HTTP to kilnd over its socket', () => {
  it('dials nothing when no daemon listens', async () => {
    assert.equal(await dial(join(await tempDir('wire'), 'absent.sock')), undefined);
  });

  it('sends the request line, headers and body with its length', async () => {
    let seen = '';
    const path = await serve((socket, request) => {
      seen = request;
      socket.end('HTTP/1.1 204 No Content\r\n\r\n');
    });
    const socket = await connected(path);
    writeRequest(socket, 'POST', '/kiln/v1/x', { 'Content-Type': 'application/json' }, '{"a":"é"}');
    assert.equal((await readHead(socket, path)).status, 204);
    // Content-Length counts bytes: é is two.
    assert.equal(Buffer.from(seen, 'latin1').toString('utf8'), 'POST /kiln/v1/x HTTP/1.1\r\nHost: kilnd\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a":"é"}');
  });

  it('reads a head split across writes and keeps what follows it', async () => {
    const path = await serve((socket) => {
      socket.write('HTTP/1.1 101 Switching');
      setTimeout(() => socket.write(' Protocols\r\nUpgrade: tcp\r\n'), 5);
      setTimeout(() => socket.end('\r\nFRAMES'), 10);
    });
    const socket = await connected(path);
    writeRequest(socket, 'POST', '/run', { Connection: 'Upgrade', Upgrade: 'tcp' });
    const response = await readHead(socket, path);
    assert.equal(response.status, 101);
    assert.equal(response.headers.get('upgrade'), 'tcp');
    assert.equal(response.rest.toString(), 'FRAMES');
    assert.ok(socket.isPaused(), 'the reader takes over a paused socket');
  });

  it('reads a Content-Length body that arrives in pieces, and turns an error body into a KilnError', async () => {
    const body = JSON.stringify({ message: 'no such image: x', code: 'NOT_FOUND', hint: 'pull it' });
    const path = await serve((socket) => {
      socket.write(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 7)}`);
      setTimeout(() => socket.write(body.slice(7)), 5);
    });
    const socket = await connected(path);
    writeRequest(socket, 'GET', '/x');
    const response = await readHead(socket, path);
    const err = responseError(response.status, await readBody(socket, response));
    assert.ok(err instanceof KilnError);
    assert.deepEqual([err.code, err.message, err.hint], ['NOT_FOUND', 'no such image: x', 'pull it']);
  });

  it('says the daemon went away when the connection ends before a head', async () => {
    const path = await serve((socket) => socket.end('HTTP/1.1 2'));
    const socket = await connected(path);
    writeRequest(socket, 'GET', '/x');
    await assert.rejects(readHead(socket, path), (err: unknown) => err instanceof KilnError && err.code === 'UNAVAILABLE' && err.message.includes('closed the connection'));
  });

  it('refuses a malformed status line', async () => {
    const path = await serve((socket) => socket.end('SSH-2.0-OpenSSH\r\n\r\n'));
    const socket = await connected(path);
    writeRequest(socket, 'GET', '/x');
    await assert.rejects(readHead(socket, path), /malformed status line: SSH-2\.0/);
  });

  it('makes a whole request on a connection of its own', async () => {
    const path = await serve((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    assert.deepEqual(await daemonRequest(path, 'GET', '/_ping'), { status: 200, body: Buffer.from('ok') });
  });

  it('keeps a non-JSON error body readable', () => {
    const err = responseError(502, Buffer.from('<html>bad gateway</html>'));
    assert.equal(err.message, 'daemon answered 502: <html>bad gateway</html>');
  });
});
