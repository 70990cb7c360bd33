// `POST /kiln/v1/images/pull` and `POST /kiln/v1/images/{name}/push` (src/api/images.ts): the
// registry transfers of the kiln CLI, run by the daemon with the credentials the request brings
// in X-Registry-Auth (the CLI reads them from the user's docker config and helpers), for that
// request only: its registry client has no other keychain and is closed when it ends.
//
// The answer is a chunked stream of JSON lines, each written as the transfer moves, so the CLI
// prints progress live. What fails before the stream opens (a bad body, an unknown local name, a
// refused login, a tag the registry does not have) is a plain HTTP error instead. A client that
// goes away cancels the transfer.
import type { ServerResponse } from 'node:http';
import type { PullMessage, PushedImage, PushMessage, TransferUpdate } from '../../api/images.js';
import type { TransferEvent } from '../../image/index.js';
import {
  familiarName, formatReference, parseNormalizedReference, repositoryName, withDefaultTag,
} from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import type { ImageEngine } from '../images/engine.js';
import { pullImage } from '../images/pull.js';
import { pushImage } from '../images/push.js';
import { readJson, type RequestContext, type Router } from './http.js';
import { parsePullRequest, parsePushRequest, platformParam } from './image-request.js';
import { abortOnHangUp, openLineStream, type LineStream } from './json-stream.js';
import { registryAuthCredentials, withRequestRegistry } from './registry-auth.js';

/** A blob's state change as the stream carries it; byte progress stays in the daemon. */
function transferUpdate(event: TransferEvent): { transfer: TransferUpdate } | undefined {
  if (event.kind === 'progress') return undefined;
  const { digest, mediaType, size } = event.desc;
  return {
    transfer: {
      kind: event.kind, digest, mediaType, size,
      ...(event.kind === 'retry' ? { attempt: event.attempt, error: event.error.message } : {}),
    },
  };
}

async function pullRoute(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const request = parsePullRequest(await readJson(ctx.req));
  const ref = withDefaultTag(parseNormalizedReference(request.reference));
  const platform = platformParam(request.platform);
  const signal = abortOnHangUp(res);
  let stream: LineStream<PullMessage> | undefined;
  await withRequestRegistry(engine, registryAuthCredentials(ctx.req, ref.domain), async (registry) => {
    try {
      const result = await pullImage(engine, request.reference, {
        registry, signal,
        ...(platform === undefined ? {} : { platform }),
        onResolved: ({ digest, mediaType, size }) => {
          stream = openLineStream(res);
          stream.send({ resolved: { digest, mediaType, size } });
        },
        onEvent: (event) => {
          const update = transferUpdate(event);
          if (update !== undefined) stream?.send(update);
        },
      });
      ctx.log.info('image pulled', { reqId: ctx.reqId, image: formatReference(result.ref), digest: result.digest, downloaded: result.downloaded });
      stream ??= openLineStream(res);
      stream.send({ result: { reference: formatReference(result.ref), digest: result.digest, upToDate: result.upToDate } });
      stream.end();
    } catch (err) {
      if (stream === undefined) throw err;
      stream.fail(err);
    }
  });
}

/** The local names a push sends: the one named, or every tag of the repository. */
async function pushNames(engine: ImageEngine, text: string, allTags: boolean): Promise<string[]> {
  const given = parseNormalizedReference(text);
  if (!allTags) {
    const name = formatReference(withDefaultTag(given));
    if ((await engine.images.get(name)) === undefined) {
      throw new KilnError('NOT_FOUND', `An image does not exist locally with the tag: ${text}`, { details: { reference: text } });
    }
    return [name];
  }
  if (given.tag !== undefined || given.digest !== undefined) {
    throw new KilnError('INVALID_ARGUMENT', `tag can't be used with --all-tags/-a: ${text}`);
  }
  const prefix = `${repositoryName(given)}:`;
  const names = (await engine.images.list((record) => record.name.startsWith(prefix))).map((record) => record.name);
  if (names.length === 0) throw new KilnError('NOT_FOUND', `An image does not exist locally with the tag: ${familiarName(given)}`);
  return names;
}

async function pushRoute(engine: ImageEngine, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const text = ctx.params[0] ?? '';
  const request = parsePushRequest(await readJson(ctx.req));
  const names = await pushNames(engine, text, request.allTags === true);
  const repository = parseNormalizedReference(text);
  const signal = abortOnHangUp(res);
  await withRequestRegistry(engine, registryAuthCredentials(ctx.req, repository.domain), async (registry) => {
    const stream = openLineStream<PushMessage>(res);
    try {
      stream.send({ pushing: { repository: repositoryName(repository), names } });
      const pushed: PushedImage[] = [];
      for (const name of names) {
        const result = await pushImage(engine, name, {
          registry, signal,
          onEvent: (event) => {
            const update = transferUpdate(event);
            if (update !== undefined) stream.send(update);
          },
        });
        const image = { reference: formatReference(result.ref), tag: result.ref.tag ?? result.ref.digest ?? 'latest', digest: result.root.digest, size: result.root.size };
        ctx.log.info('image pushed', { reqId: ctx.reqId, image: image.reference, digest: image.digest, uploaded: result.uploaded });
        pushed.push(image);
        stream.send({ pushed: image });
      }
      stream.send({ result: { pushed } });
      stream.end();
    } catch (err) {
      stream.fail(err);
    }
  });
}

export function imageTransferRoutes(router: Router, engine: ImageEngine): void {
  router
    .on('POST', /^\/kiln\/v1\/images\/pull$/, async (ctx, res) => pullRoute(engine, ctx, res))
    .on('POST', /^\/kiln\/v1\/images\/([^/]+)\/push$/, async (ctx, res) => pushRoute(engine, ctx, res));
}
