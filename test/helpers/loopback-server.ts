// Starts a test HTTP server on 127.0.0.1 with a free port and stops it after the test file,
// destroying open connections (a stalled transfer would otherwise keep close() waiting).
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { after } from 'node:test';

export interface LoopbackServer {
  host: string;
  stop(): Promise<void>;
}

export async function serveOnLoopback(server: Server, what: string): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${what} has no port`);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return stopped;
  };
  after(stop);
  return { host: `127.0.0.1:${address.port}`, stop };
}
