// A native build's session with its client: BuildKit's auth provider in small. When the build
// needs a registry, the daemon asks the client on the build's own connection for the user's
// login for that host, and the client answers from its docker config or credential helper on
// the same connection (src/api/build.ts). The answer is kept for the build's lifetime, in
// memory only; a client that has gone, or does not answer in time, leaves the access anonymous.
import type { Duplex } from 'node:stream';
import type { BuildMessage, CredentialsAnswer } from '../../api/build.js';
import { LineDecoder } from '../../api/lines.js';
import type { Credential, Keychain } from '../../registry/keychain.js';

/** How long the daemon waits for a login before it goes on without one. */
const answerTimeoutMs = 60_000;

export class BuildSession implements Keychain {
  private nextId = 0;
  private readonly waiting = new Map<number, (login: Credential | undefined) => void>();
  private readonly logins = new Map<string, Promise<Credential | undefined>>();
  private readonly lines = new LineDecoder();
  private closed = false;

  constructor(socket: Duplex, private readonly send: (message: BuildMessage) => void) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.once('close', () => this.close());
  }

  /** The user's login for `registryHost`, asked of the client once per build. */
  resolve(registryHost: string): Promise<Credential | undefined> {
    let login = this.logins.get(registryHost);
    if (login === undefined) {
      login = this.ask(registryHost);
      this.logins.set(registryHost, login);
    }
    return login;
  }

  private ask(host: string): Promise<Credential | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.answer(id, undefined), answerTimeoutMs);
      this.waiting.set(id, (login) => {
        clearTimeout(timer);
        resolve(login);
      });
      this.send({ credentials: { id, host } });
    });
  }

  private answer(id: number, login: Credential | undefined): void {
    const done = this.waiting.get(id);
    this.waiting.delete(id);
    done?.(login);
  }

  /** Lines from the client; anything but a well-formed answer is ignored. */
  private receive(chunk: Buffer): void {
    for (const line of this.lines.push(chunk)) {
      let message: Partial<CredentialsAnswer>;
      try {
        message = JSON.parse(line) as Partial<CredentialsAnswer>;
      } catch {
        continue;
      }
      const id = message.credentials?.id;
      if (typeof id === 'number') this.answer(id, message.credentials?.login);
    }
  }

  private close(): void {
    this.closed = true;
    for (const id of [...this.waiting.keys()]) this.answer(id, undefined);
  }
}
