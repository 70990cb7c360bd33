// The Docker Engine API's registry endpoints (engine-api.md §3.8-§3.10): `POST /images/create`
// (docker pull), `POST /images/{name}/push` and `POST /auth` (docker login), with the
// credentials each request brings in X-Registry-Auth (registry-auth.ts).
//
// What fails before the stream starts is a plain HTTP error, as dockerd sends it: an unknown
// tag is 404 (the CLI prints the message), and refused credentials are 500, not 401, because a
// 401 would make the CLI prompt for a password on its terminal and retry, which dockerd never
// causes. Once the stream has started, a failure travels in it with errorDetail.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TransferEvent } from '../../image/index.js';
import {
  familiarName, formatReference, parseNormalizedReference, repositoryName, withDefaultTag, type Reference,
} from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { readImage } from '../images/local.js';
import { pullImage } from '../images/pull.js';
import { pushImage } from '../images/push.js';
import { pullProgress, pushProgress } from './docker-transfer-progress.js';
import { readJson, sendJson, type Router } from './http.js';
import { platformParam } from './image-request.js';
import { abortOnHangUp, openJsonStream, type JsonMessageStream } from './json-stream.js';
import { loginHost } from '../../registry/keychain.js';
import { registryAuthCredentials, withRequestRegistry } from './registry-auth.js';

/** Auth refusals become 500 with the registry's words (see above); other errors keep their status. */
function beforeStream(err: unknown): unknown {
  if (err instanceof KilnError && (err.code === 'UNAUTHORIZED' || err.code === 'DENIED')) {
    return new KilnError('INTERNAL', err.message, { cause: err });
  }
  return err;
}

/** `fromImage` with `tag`, which may also be a digest (`sha256:…`). */
function pullReference(query: URLSearchParams): string {
  if (query.get('fromSrc') !== null) {
    throw new KilnError('NOT_IMPLEMENTED', 'importing a filesystem tarball (docker import) is not supported by kiln', {
      hint: 'build an image FROM scratch with ADD of the tarball instead',
    });
  }
  const from = query.get('fromImage') ?? '';
  if (from === '') throw new KilnError('INVALID_ARGUMENT', 'pull: the fromImage parameter is required');
  const tag = query.get('tag') ?? '';
  if (tag === '') return from;
  return tag.includes(':') ? `${from}@${tag}` : `${from}:${tag}`;
}

async function pullRoute(engine: ImageEngine, req: IncomingMessage, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const text = pullReference(query);
  const ref = withDefaultTag(parseNormalizedReference(text));
  const platform = platformParam(query.get('platform') ?? undefined);
  const signal = abortOnHangUp(res);
  let stream: JsonMessageStream | undefined;
  let report: ((event: TransferEvent) => void) | undefined;
  await withRequestRegistry(engine, registryAuthCredentials(req, ref.domain), async (registry) => {
    try {
      const result = await pullImage(engine, text, {
        registry, signal,
        ...(platform === undefined ? {} : { platform }),
        onResolved: () => {
          stream = openJsonStream(res);
          stream.send({ status: `Pulling from ${ref.path}`, id: ref.digest ?? ref.tag ?? 'latest' });
          report = pullProgress(stream);
        },
        onEvent: (event) => report?.(event),
      });
      stream?.send({ status: `Digest: ${result.digest}` });
      stream?.send({ status: `Status: ${result.upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarName(result.ref)}` });
      stream?.end();
    } catch (err) {
      if (stream === undefined) throw beforeStream(err);
      stream.fail(err);
    }
  });
}

/** The local names a push of `repository` with `tag` sends; an empty tag means all of its tags. */
async function pushNames(engine: ImageEngine, repository: Reference, tag: string): Promise<string[]> {
  if (tag !== '' || repository.tag !== undefined || repository.digest !== undefined) {
    const name = formatReference(tag === '' ? withDefaultTag(repository) : { domain: repository.domain, path: repository.path, tag });
    if ((await engine.images.get(name)) === undefined) {
      throw new KilnError('NOT_FOUND', `An image does not exist locally with the tag: ${familiarName(parseNormalizedReference(name))}`);
    }
    return [name];
  }
  const prefix = `${repositoryName(repository)}:`;
  const names = (await engine.images.list((record) => record.name.startsWith(prefix))).map((record) => record.name);
  if (names.length === 0) throw new KilnError('NOT_FOUND', `An image does not exist locally with the tag: ${familiarName(repository)}`);
  return names;
}

async function pushRoute(engine: ImageEngine, req: IncomingMessage, path: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
  const repository = parseNormalizedReference(path);
  const names = await pushNames(engine, repository, query.get('tag') ?? '');
  const signal = abortOnHangUp(res);
  await withRequestRegistry(engine, registryAuthCredentials(req, repository.domain), async (registry) => {
    const stream = openJsonStream(res);
    try {
      stream.send({ status: `The push refers to repository [${repositoryName(repository)}]` });
      for (const name of names) {
        const record = await engine.images.get(name);
        if (record === undefined) throw new KilnError('NOT_FOUND', `An image does not exist locally with the tag: ${familiarName(parseNormalizedReference(name))}`);
        const onEvent = pushProgress(stream, await readImage(engine, record));
        const result = await pushImage(engine, name, { registry, signal, onEvent });
        const tag = result.ref.tag ?? 'latest';
        stream.send({ status: `${tag}: digest: ${result.root.digest} size: ${result.root.size}` });
        stream.send({ progressDetail: {}, aux: { Tag: tag, Digest: result.root.digest, Size: result.root.size } });
      }
      stream.end();
    } catch (err) {
      stream.fail(err);
    }
  });
}

function stringField(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new KilnError('INVALID_ARGUMENT', `auth: "${key}" must be a string`);
  return value;
}

/** Checks the credentials against the registry (`GET /v2/`, with its token exchange); stores nothing. */
async function authRoute(engine: ImageEngine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new KilnError('INVALID_ARGUMENT', 'auth: the body must be a JSON object');
  const fields = body as Record<string, unknown>;
  const host = loginHost(stringField(fields, 'serveraddress'));
  const username = stringField(fields, 'username');
  const password = stringField(fields, 'password');
  const identityToken = stringField(fields, 'identitytoken');
  const credential = {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(identityToken === undefined || identityToken === '' ? {} : { identityToken }),
  };
  try {
    await (await engine.registry()).login(host, credential);
  } catch (err) {
    if (err instanceof KilnError && (err.code === 'UNAUTHORIZED' || err.code === 'DENIED')) {
      const status = err.code === 'UNAUTHORIZED' ? '401 Unauthorized' : '403 Forbidden';
      throw new KilnError('INTERNAL', `login attempt to ${host}/v2/ failed with status: ${status}`, { cause: err });
    }
    throw err;
  }
  sendJson(res, 200, { IdentityToken: '', Status: 'Login Succeeded' });
}

export function dockerRegistryRoutes(router: Router, engine: ImageEngine): void {
  router
    .on('POST', /^\/images\/create$/, async (ctx, res) => pullRoute(engine, ctx.req, ctx.query, res))
    .on('POST', /^\/images\/(.+)\/push$/, async (ctx, res) => pushRoute(engine, ctx.req, ctx.params[0] ?? '', ctx.query, res))
    .on('POST', /^\/auth$/, async (ctx, res) => authRoute(engine, ctx.req, res));
}
