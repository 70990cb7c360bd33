// Registry authentication the way docker and containerd do it: requests go out anonymously
// until a registry answers 401; its WWW-Authenticate challenge then says whether to send
// Basic credentials or to fetch a bearer token for the request's scopes from a token server
// (distribution's token spec, and its OAuth2 variant for identity tokens). Tokens are cached
// per registry and scope set until they expire, so a push of many blobs fetches one token.
import { request, type Dispatcher } from './http-client.js';
import type { Challenge } from './challenge.js';
import type { Credential, Keychain } from './keychain.js';
import { connectionError, statusError, type RequestContext } from './registry-errors.js';
import { KilnError } from '../util/errors.js';

interface CachedToken {
  token: string;
  expiresAt: number;
}

interface TokenResponse {
  token?: unknown;
  access_token?: unknown;
  expires_in?: unknown;
}

// The token spec's default lifetime when a server omits expires_in; renew a little early.
const defaultTokenSeconds = 60;
const renewMarginMs = 10_000;
const maxTokenBody = 1 << 20;
// Keychain answers are reused briefly (a push asks for every blob), but a long-lived daemon
// must see a `kiln login` made after it started.
const credentialTtlMs = 30_000;

export interface AuthenticatorOptions {
  keychain: Keychain | undefined;
  userAgent: string;
  /** The dispatcher for a token server URL (insecure servers get the lenient agent). */
  dispatcherFor(url: URL): Dispatcher;
}

export class Authenticator {
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly credentials = new Map<string, { found: Promise<Credential | undefined>; until: number }>();

  constructor(private readonly options: AuthenticatorOptions) {}

  /** The Authorization header for a request to `host` needing `scopes`; undefined = anonymous. */
  async authorization(host: string, scopes: readonly string[], ctx: RequestContext): Promise<string | undefined> {
    const credential = await this.credential(ctx.registry);
    if (credential?.registryToken !== undefined) return `Bearer ${credential.registryToken}`;
    const challenge = this.challenges.get(host);
    if (challenge === undefined) return undefined;
    if (challenge.scheme === 'basic') return basicHeader(credential);
    const key = `${host} ${[...scopes].sort().join(' ')}`;
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    const fresh = await this.fetchToken(challenge, scopes, credential, ctx);
    this.tokens.set(key, fresh);
    return `Bearer ${fresh.token}`;
  }

  /**
   * Records the challenge of a 401; returns whether trying again with credentials can help
   * (not when the same scheme was already in use, or a registry token was refused).
   */
  async challenged(host: string, challenge: Challenge | undefined, sentAuthorization: boolean, ctx: RequestContext): Promise<boolean> {
    if (challenge === undefined) return false;
    const credential = await this.credential(ctx.registry);
    if (credential?.registryToken !== undefined) return false;
    const known = this.challenges.get(host);
    this.challenges.set(host, challenge);
    for (const key of this.tokens.keys()) if (key.startsWith(`${host} `)) this.tokens.delete(key);
    return !sentAuthorization || known?.scheme !== challenge.scheme;
  }

  private credential(registry: string): Promise<Credential | undefined> {
    const cached = this.credentials.get(registry);
    if (cached !== undefined && cached.until > Date.now()) return cached.found;
    const found = this.options.keychain?.resolve(registry) ?? Promise.resolve(undefined);
    this.credentials.set(registry, { found, until: Date.now() + credentialTtlMs });
    return found;
  }

  private async fetchToken(
    challenge: Challenge,
    scopes: readonly string[],
    credential: Credential | undefined,
    ctx: RequestContext,
  ): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (realm === undefined || !URL.canParse(realm)) {
      throw new KilnError('UNAVAILABLE', `registry ${ctx.registry} sent a bearer challenge without a usable realm`, {
        details: { reference: ctx.reference },
      });
    }
    const url = new URL(realm);
    const service = challenge.params.service;
    const requested = scopes.length > 0 ? scopes : challenge.params.scope === undefined ? [] : [challenge.params.scope];
    const options = credential?.identityToken !== undefined
      ? oauthRequest(credential.identityToken, service, requested)
      : getRequest(url, service, requested, credential);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        ...options,
        headers: { ...options.headers, 'user-agent': this.options.userAgent },
        dispatcher: this.options.dispatcherFor(url),
      });
    } catch (err) {
      throw connectionError(err, ctx, 'authenticate to');
    }
    const text = await readCapped(response.body, maxTokenBody);
    if (response.statusCode !== 200) throw statusError(response.statusCode, text, ctx, 'authenticate to');
    return parseTokenResponse(text, ctx);
  }
}

function basicHeader(credential: Credential | undefined): string | undefined {
  if (credential?.username === undefined) return undefined;
  return `Basic ${Buffer.from(`${credential.username}:${credential.password ?? ''}`).toString('base64')}`;
}

function getRequest(url: URL, service: string | undefined, scopes: readonly string[], credential: Credential | undefined) {
  if (service !== undefined) url.searchParams.set('service', service);
  for (const scope of scopes) url.searchParams.append('scope', scope);
  const auth = basicHeader(credential);
  return { method: 'GET' as const, headers: auth === undefined ? {} : { authorization: auth } as Record<string, string> };
}

function oauthRequest(refreshToken: string, service: string | undefined, scopes: readonly string[]) {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'kiln' });
  if (service !== undefined) form.set('service', service);
  if (scopes.length > 0) form.set('scope', scopes.join(' '));
  return {
    method: 'POST' as const,
    headers: { 'content-type': 'application/x-www-form-urlencoded' } as Record<string, string>,
    body: form.toString(),
  };
}

function parseTokenResponse(text: string, ctx: RequestContext): CachedToken {
  let parsed: TokenResponse;
  try {
    parsed = JSON.parse(text) as TokenResponse;
  } catch {
    parsed = {};
  }
  const token = typeof parsed.token === 'string' && parsed.token !== '' ? parsed.token : parsed.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new KilnError('UNAVAILABLE', `the token server of ${ctx.registry} answered without a token`, {
      details: { reference: ctx.reference },
    });
  }
  const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : defaultTokenSeconds;
  return { token, expiresAt: Date.now() + Math.max(0, seconds * 1000 - renewMarginMs) };
}

/** A response body as text, reading at most `limit` bytes (the rest is discarded). */
export async function readCapped(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  return (await readCappedBytes(body, limit)).toString('utf8');
}

/** A response body's first `limit` bytes; the rest is not read. */
export async function readCappedBytes(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    chunks.push(buffer.subarray(0, limit - length));
    length += buffer.byteLength;
    // Leaving the loop destroys the body: an error page is not worth reading to its end.
    if (length >= limit) break;
  }
  return Buffer.concat(chunks);
}
