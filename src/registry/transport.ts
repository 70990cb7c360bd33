// One request to a registry's HTTP API with everything around it: the scheme (HTTPS, or HTTP
// for loopback and insecure registries after HTTPS failed, as docker does), authentication
// on 401, retries with backoff on 429, 5xx and broken connections for requests whose body
// can be sent again, and redirects. Callers get the response with its body unread, or a
// KilnError; never an undici error.
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from './http-client.js';
import { registryCertificateAuthorities } from './extra-ca.js';
import { KilnError } from '../util/errors.js';
import { Authenticator, readCapped } from './auth.js';
import { preferredChallenge } from './challenge.js';
import type { Keychain } from './keychain.js';
import { InsecurePolicy } from './insecure.js';
import {
  connectionError, isRetryableStatus, isTransient, statusError, type RequestContext,
} from './registry-errors.js';
import { backoffDelay, parseRetryAfter, pause, type RetryPolicy } from './retry.js';

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface RegistryRequest {
  method: Method;
  /** A path under the registry's origin (`/v2/...`), or an absolute URL such as an upload location. */
  path: string;
  headers?: Record<string, string>;
  /** A Buffer can be sent again on retry; a stream cannot. */
  body?: Buffer | Readable;
  scopes: readonly string[];
  ctx: RequestContext;
  /** What the request does, for messages: "pull", "push", "reach". */
  action: string;
  /** Statuses handed back to the caller; any other fails. Default: 2xx. */
  accept?: (status: number) => boolean;
  /** Follow 3xx Location answers (blob downloads redirect to storage). */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface TransportOptions {
  keychain: Keychain | undefined;
  insecureRegistries: readonly string[];
  userAgent: string;
  retry: RetryPolicy;
}

const maxRedirects = 5;
const maxErrorBody = 64 * 1024;
const timeouts = { headersTimeout: 60_000, bodyTimeout: 300_000, connectTimeout: 30_000 };

const is2xx = (status: number): boolean => status >= 200 && status < 300;

interface Agents {
  secure: Agent;
  // Docker skips certificate checks for insecure registries too, not only allows HTTP.
  lenient: Agent;
}

function makeAgents(): Agents {
  const { connectTimeout, ...rest } = timeouts;
  const ca = registryCertificateAuthorities();
  return {
    secure: new Agent({ ...rest, connect: { timeout: connectTimeout, ...(ca === undefined ? {} : { ca }) } }),
    lenient: new Agent({ ...rest, connect: { timeout: connectTimeout, rejectUnauthorized: false } }),
  };
}

export class RegistryTransport {
  readonly auth: Authenticator;
  private readonly policy: InsecurePolicy;
  private readonly origins = new Map<string, Promise<string>>();

  constructor(readonly options: TransportOptions, private readonly agents: Agents = makeAgents()) {
    this.policy = new InsecurePolicy(options.insecureRegistries);
    this.auth = new Authenticator({
      keychain: options.keychain,
      userAgent: options.userAgent,
      dispatcherFor: (url) => this.dispatcherFor(url),
    });
  }

  /** A transport sharing this one's connections but with another keychain (for `login`). */
  withKeychain(keychain: Keychain): RegistryTransport {
    return new RegistryTransport({ ...this.options, keychain }, this.agents);
  }

  async close(): Promise<void> {
    await Promise.all([this.agents.secure.close(), this.agents.lenient.close()]);
  }

  private dispatcherFor(url: URL): Dispatcher {
    return this.policy.allows(url.host) ? this.agents.lenient : this.agents.secure;
  }

  /** `https://host`, or `http://host` for an insecure registry that does not speak TLS. */
  origin(host: string, signal?: AbortSignal): Promise<string> {
    let found = this.origins.get(host);
    if (found === undefined) {
      found = this.policy.allows(host) ? this.probe(host, signal) : Promise.resolve(`https://${host}`);
      this.origins.set(host, found);
    }
    return found;
  }

  private async probe(host: string, signal?: AbortSignal): Promise<string> {
    try {
      const response = await request(`https://${host}/v2/`, { method: 'GET', dispatcher: this.agents.lenient, signal });
      await response.body.dump();
      return `https://${host}`;
    } catch {
      return `http://${host}`;
    }
  }

  async send(host: string, req: RegistryRequest): Promise<Dispatcher.ResponseData> {
    const replayable = req.body === undefined || Buffer.isBuffer(req.body);
    const accept = req.accept ?? is2xx;
    let url = new URL(req.path, await this.origin(host, req.signal));
    const registryOrigin = url.origin;
    let authRetried = false;
    let redirects = 0;
    for (let attempt = 1; ; attempt++) {
      const sameOrigin = url.origin === registryOrigin;
      // Credentials go to the registry only, never to the storage a download redirects to.
      const authorization = sameOrigin ? await this.auth.authorization(host, req.scopes, req.ctx) : undefined;
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: req.method,
          headers: {
            'user-agent': this.options.userAgent,
            ...req.headers,
            ...(authorization === undefined ? {} : { authorization }),
          },
          body: req.body,
          dispatcher: this.dispatcherFor(url),
          signal: req.signal,
        });
      } catch (err) {
        throwIfAborted(err, req);
        if (replayable && isTransient(err) && attempt < this.options.retry.attempts) {
          await wait(backoffDelay(this.options.retry, attempt), req);
          continue;
        }
        throw connectionError(err, req.ctx, req.action);
      }
      const status = response.statusCode;
      if (status === 401 && sameOrigin && replayable && !authRetried) {
        await response.body.dump();
        const challenge = preferredChallenge(response.headers['www-authenticate']);
        if (await this.auth.challenged(host, challenge, authorization !== undefined, req.ctx)) {
          authRetried = true;
          attempt--;
          continue;
        }
        throw statusError(401, '', req.ctx, req.action);
      }
      if (req.followRedirects && status >= 300 && status < 400 && typeof response.headers.location === 'string') {
        await response.body.dump();
        if (++redirects > maxRedirects) throw statusError(status, 'too many redirects', req.ctx, req.action);
        url = new URL(response.headers.location, url);
        attempt--;
        continue;
      }
      if (replayable && isRetryableStatus(status) && attempt < this.options.retry.attempts) {
        await response.body.dump();
        const retryAfter = parseRetryAfter(response.headers['retry-after']);
        await wait(backoffDelay(this.options.retry, attempt, retryAfter), req);
        continue;
      }
      if (accept(status)) return response;
      const text = req.method === 'HEAD' ? '' : await readCapped(response.body, maxErrorBody).catch(() => '');
      throw statusError(status, text, req.ctx, req.action);
    }
  }
}

async function wait(ms: number, req: RegistryRequest): Promise<void> {
  try {
    await pause(ms, req.signal);
  } catch (err) {
    throwIfAborted(err, req);
    throw err;
  }
}

function throwIfAborted(err: unknown, req: RegistryRequest): void {
  if (req.signal?.aborted || (err as { name?: unknown }).name === 'AbortError') {
    throw new KilnError('CANCELED', `${req.action} of ${req.ctx.reference} canceled`, {
      details: { reference: req.ctx.reference },
    });
  }
}
