// `POST /kiln/v1/build` (src/api/build.ts): the daemon builds with its engine's shared solver, so
// concurrent builds run a common step once and the cache, snapshots and loaded code stay warm
// between builds. Progress goes out as it happens; a client that goes away cancels the build
// (steps another build still needs go on). Registry logins are asked of the client when the
// build needs one (build-session.ts): the daemon uses no credentials of its own.
import { isAbsolute } from 'node:path';
import type { Duplex } from 'node:stream';
import { encodeBuildMessage, type BuildMessage, type BuildRequest } from '../../api/build.js';
import { localCacheDir, parseCacheExport, parseCacheImport, type CacheExport, type CacheImport } from '../../api/build-cache.js';
import { KilnError } from '../../util/errors.js';
import { buildImage, dryRunBuild, parseBuildOutputs, parseBuildSecrets, parseBuildSsh, secretBytes, type BuildOptions } from '../build/index.js';
import type { ImageEngine } from '../images/engine.js';
import { acceptUpgrade, switchProtocols, type RequestContext, type Router } from './http.js';
import { BuildSession } from './build-session.js';
import { errorMessage } from './logger.js';
import { requestRegistry } from './registry-auth.js';
import type { ForegroundRuns } from './run-route.js';

function invalid(field: string, what: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `build request: ${field} must be ${what}`);
}

const isStringRecord = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');

export function parseBuildRequest(value: unknown): BuildRequest {
  if (typeof value !== 'object' || value === null) throw invalid('the body', 'a JSON object');
  const body = value as Record<string, unknown>;
  const { contextDir, dockerfile, tags, buildArgs, target, noCache, jobs } = body;
  if (typeof contextDir !== 'string' || !isAbsolute(contextDir)) throw invalid('contextDir', 'an absolute path');
  if (dockerfile !== undefined && (typeof dockerfile !== 'string' || !isAbsolute(dockerfile))) throw invalid('dockerfile', 'an absolute path');
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string')) throw invalid('tags', 'a list of names');
  if (!isStringRecord(buildArgs)) throw invalid('buildArgs', 'an object of strings');
  if (target !== undefined && typeof target !== 'string') throw invalid('target', 'a string');
  const targets = body['targets'];
  if (targets !== undefined && !(Array.isArray(targets) && targets.every((name) => typeof name === 'string'))) throw invalid('targets', 'a list of stage names');
  if (noCache !== undefined && typeof noCache !== 'boolean') throw invalid('noCache', 'a boolean');
  const dryRun = body['dryRun'];
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw invalid('dryRun', 'a boolean');
  if (jobs !== undefined && !(Number.isInteger(jobs) && (jobs as number) > 0)) throw invalid('jobs', 'a positive integer');
  const outputs = parseBuildOutputs(body['outputs']);
  const secrets = parseBuildSecrets(body['secrets']);
  const ssh = parseBuildSsh(body['ssh']);
  const cacheFrom = cacheSpecs(body['cacheFrom'], 'cacheFrom', (text) => parseCacheImport(text, 'cacheFrom'));
  const cacheTo = cacheSpecs(body['cacheTo'], 'cacheTo', (text) => parseCacheExport(text, 'cacheTo'));
  return {
    contextDir, tags, buildArgs,
    ...(dockerfile === undefined ? {} : { dockerfile }),
    ...(target === undefined ? {} : { target }),
    ...(targets === undefined ? {} : { targets: targets as string[] }),
    ...(noCache === undefined ? {} : { noCache }),
    ...(dryRun === true ? { dryRun } : {}),
    ...(jobs === undefined ? {} : { jobs: jobs as number }),
    ...(outputs === undefined ? {} : { outputs }),
    ...(secrets === undefined ? {} : { secrets }),
    ...(ssh === undefined ? {} : { ssh }),
    ...(cacheFrom === undefined ? {} : { cacheFrom }),
    ...(cacheTo === undefined ? {} : { cacheTo }),
  };
}

/** A list of cache specs as texts, each parsed (so a bad one fails the request) with a local directory absolute. */
function cacheSpecs(value: unknown, field: string, parse: (text: string) => CacheImport | CacheExport): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((text) => typeof text === 'string')) throw invalid(field, 'a list of strings');
  for (const text of value) {
    const dir = localCacheDir(parse(text));
    if (dir !== undefined && !isAbsolute(dir)) throw invalid(field, `an absolute path for a local cache, not ${JSON.stringify(dir)}`);
  }
  return value;
}

function send(socket: Duplex, message: BuildMessage): void {
  if (!socket.destroyed && socket.writable) socket.write(encodeBuildMessage(message));
}

function failure(err: unknown): BuildMessage {
  if (err instanceof KilnError) return { error: err.toJSON() };
  return { error: { code: 'INTERNAL', message: errorMessage(err) } };
}

async function serveBuild(engine: ImageEngine, runs: ForegroundRuns, ctx: RequestContext, socket: Duplex, head: Buffer): Promise<void> {
  const request = parseBuildRequest((await acceptUpgrade(ctx, socket, head)).body);
  switchProtocols(ctx, socket);
  const controller = new AbortController();
  const key = `build-${ctx.reqId}`;
  runs.register(key, controller);
  const clientGone = (): void => controller.abort(new KilnError('CANCELED', 'the client went away'));
  socket.once('close', clientGone);
  // Reads the client's answers (and puts the socket in flowing mode, so that its close is seen).
  const registry = requestRegistry(engine, new BuildSession(socket, (message) => send(socket, message)));
  const started = performance.now();
  try {
    const options: BuildOptions = {
      contextDir: request.contextDir, tags: request.tags, buildArgs: request.buildArgs, signal: controller.signal, registry: registry.get,
      progress: ({ type: _type, ...event }) => send(socket, { progress: event }),
      ...(request.dockerfile === undefined ? {} : { dockerfile: request.dockerfile }),
      ...(request.target === undefined ? {} : { target: request.target }),
      ...(request.targets === undefined ? {} : { targets: request.targets }),
      ...(request.noCache === undefined ? {} : { noCache: request.noCache }),
      ...(request.jobs === undefined ? {} : { jobs: request.jobs }),
      ...(request.outputs === undefined ? {} : { outputs: request.outputs }),
      ...(request.secrets === undefined ? {} : { secrets: secretBytes(request.secrets) }),
      ...(request.ssh === undefined ? {} : { sshAgents: new Map(Object.entries(request.ssh)) }),
      ...(request.cacheFrom === undefined ? {} : { cacheFrom: request.cacheFrom.map((text) => parseCacheImport(text)) }),
      ...(request.cacheTo === undefined ? {} : { cacheTo: request.cacheTo.map((text) => parseCacheExport(text)) }),
    };
    if (request.dryRun === true) {
      send(socket, { plan: await dryRunBuild(engine, options) });
      return;
    }
    const result = await buildImage(engine, options);
    ctx.log.info('build ended', {
      reqId: ctx.reqId, image: result.id, ms: Math.round(performance.now() - started),
      contextFilesHashed: result.context.filesHashed, contextEntriesRead: result.context.entriesRead,
    });
    send(socket, { result });
  } catch (err) {
    ctx.log.info('build failed', { reqId: ctx.reqId, error: errorMessage(err) });
    send(socket, failure(err));
  } finally {
    socket.off('close', clientGone);
    runs.unregister(key);
    socket.end();
    await registry.close();
  }
}

export function buildRoutes(router: Router, engine: ImageEngine, runs: ForegroundRuns): void {
  router.onUpgrade('POST', /^\/kiln\/v1\/build$/, (ctx, socket, head) => {
    const build = serveBuild(engine, runs, ctx, socket, head);
    runs.track(build.catch(() => undefined));
    return build;
  });
  router.on('POST', /^\/kiln\/v1\/build$/, () => {
    throw new KilnError('INVALID_ARGUMENT', 'a build takes over the connection: send it with Connection: Upgrade and Upgrade: tcp');
  });
}
