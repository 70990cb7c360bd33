// `POST /build`: the Docker Engine API's classic build (engine-api.md §3.3), what
// `DOCKER_BUILDKIT=0 docker build` sends. The body is the context as a tar; it is extracted
// under the store root (docker-build-context.ts) and built with the engine's solver like any
// kiln build, and the progress goes back as dockerd's legacy text in the JSON message stream
// (docker-build-stream.ts). Whatever is wrong with the request (query, tar, Dockerfile) is a
// 400 before the stream begins, the rest of the body read so that the client sees it (trap 7);
// a failing step ends the stream with an errorDetail whose code a failing RUN's exit status is,
// which the CLI exits with (trap 6). A client that goes away cancels the build.
//
// X-Registry-Config (the client's registry logins) is what base images are pulled with, for
// this build only; a registry it names nothing for is reached anonymously.
import { readFile, realpath, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join, sep } from 'node:path';
import { parseDockerfile, planBuild, type BuildPlan } from '../../dockerfile/index.js';
import { familiarName, formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/reference.js';
import type { RegistryClient } from '../../registry/client.js';
import { KilnError } from '../../util/errors.js';
import { buildImage } from '../build/index.js';
import type { ImageEngine } from '../images/engine.js';
import { findImage } from '../images/local.js';
import { receiveContext, type ReceivedContext } from './docker-build-context.js';
import { parseBuildQuery, type DockerBuildQuery } from './docker-build-query.js';
import { legacySteps } from './docker-build-steps.js';
import { LegacyBuildOutput } from './docker-build-stream.js';
import type { RequestContext, Router } from './http.js';
import { registryConfigCredentials, requestKeychain, requestRegistry } from './registry-auth.js';
import { failureMessage, openJsonStream, type JsonMessage, type JsonMessageStream } from './json-stream.js';
import { errorMessage } from './logger.js';
import type { ForegroundRuns } from './run-route.js';

interface Dockerfile {
  /** What the build reads: the context's file, or a copy with the request's labels added. */
  path: string;
  /** The name the request gave, for messages. */
  name: string;
  plan: BuildPlan;
}

function invalid(message: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', message);
}

/** The `dockerfile` parameter as a path inside the context; it may not climb out. */
function dockerfileComponents(name: string): string[] {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.pop() === undefined) throw invalid(`the Dockerfile ${name} is outside the build context`);
    } else parts.push(part);
  }
  return parts;
}

/** Reads the Dockerfile, refusing one that is (or links to) a file outside the context. */
async function readDockerfile(context: ReceivedContext, name: string): Promise<{ path: string; text: string }> {
  const parts = dockerfileComponents(name);
  // dockerd falls back to the lower-case name when the default is missing.
  const candidates = parts.length === 1 && parts[0] === 'Dockerfile' ? [parts, ['dockerfile']] : [parts];
  const root = await realpath(context.dir);
  for (const candidate of candidates) {
    if (candidate.length === 0) continue;
    const path = await realpath(join(context.dir, ...candidate)).catch(() => undefined);
    if (path === undefined) continue;
    if (!path.startsWith(root + sep)) throw invalid(`the Dockerfile ${name} links to a file outside the build context`);
    const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw invalid(`cannot read the Dockerfile ${name}: ${err.code === 'EISDIR' ? 'it is a directory' : err.message}`);
    });
    return { path, text };
  }
  throw invalid(`Cannot locate specified Dockerfile: ${name}`);
}

/** A Dockerfile word in double quotes, where the escape character escapes `"`, `$` and itself. */
function quoteWord(text: string, escape: string): string {
  return `"${[...text].map((c) => (c === '"' || c === '$' || c === escape ? `${escape}${c}` : c)).join('')}"`;
}

/** A KilnError of the Dockerfile, named as the request named it, with its line. */
function dockerfileError(err: unknown, name: string): unknown {
  if (!(err instanceof KilnError)) return err;
  const line = err.details.source?.range.start.line;
  return new KilnError('INVALID_ARGUMENT', line === undefined ? err.message : `${name}:${line}: ${err.message}`, err.hint === undefined ? {} : { hint: err.hint });
}

/** Parses and plans the Dockerfile (its errors are the request's), with the labels as a last LABEL. */
async function prepareDockerfile(context: ReceivedContext, query: DockerBuildQuery): Promise<Dockerfile> {
  const name = query.dockerfile;
  const found = await readDockerfile(context, name);
  let { path, text } = found;
  try {
    const labels = Object.entries(query.labels);
    if (labels.length > 0) {
      const escape = parseDockerfile(text, { file: name }).escapeToken;
      text = `${text.endsWith('\n') ? text : `${text}\n`}LABEL ${labels.map(([k, v]) => `${quoteWord(k, escape)}=${quoteWord(v, escape)}`).join(' ')}\n`;
      path = join(context.workDir, 'Dockerfile');
      await writeFile(path, text);
    }
    const plan = planBuild(parseDockerfile(text, { file: name }), {
      buildArgs: query.buildArgs,
      ...(query.target === undefined ? {} : { target: query.target }),
    });
    return { path, name, plan };
  } catch (err) {
    throw dockerfileError(err, name);
  }
}

/** IDs of the base images already in the store, for their FROM steps. */
async function baseImageIds(engine: ImageEngine, plan: BuildPlan): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const stage of plan.stages) {
    if (stage.base.kind !== 'image' || ids.has(stage.base.ref)) continue;
    const found = await findImage(engine, stage.base.ref, { allNames: false }).catch(() => undefined);
    if (found !== undefined) ids.set(stage.base.ref, found.image.id);
  }
  return ids;
}

/** `pull=1`: every image the build uses, fetched again from its registry, with dockerd's lines. */
async function pullImages(engine: ImageEngine, registry: () => Promise<RegistryClient>, plan: BuildPlan, send: (message: JsonMessage) => void, signal: AbortSignal): Promise<void> {
  // Loaded only here: the registry client costs the daemon's start-up otherwise.
  const { pullImage } = await import('../images/pull.js');
  for (const text of new Set(plan.images)) {
    const ref = withDefaultTag(parseNormalizedReference(text));
    const before = (await engine.images.get(formatReference(ref)))?.target.digest;
    const result = await pullImage(engine, text, {
      signal, registry: await registry(), onResolved: () => send({ stream: `${ref.digest ?? ref.tag ?? 'latest'}: Pulling from ${ref.path}\n` }),
    });
    const after = (await engine.images.get(formatReference(ref)))?.target.digest;
    const status = before === after ? 'Image is up to date for' : 'Downloaded newer image for';
    send({ stream: `Digest: ${result.digest}\nStatus: ${status} ${familiarName(ref)}\n` });
  }
}

/** The failure as dockerd words it: a RUN's exit status becomes the CLI's. */
function dockerFailure(err: unknown, name: string): { error: unknown; code?: number } {
  if (!(err instanceof KilnError)) return { error: err };
  const { command, exitCode: code } = err.details;
  if (command !== undefined && code !== undefined) {
    return { error: new KilnError(err.code, `The command '${command}' returned a non-zero code: ${code}`), code };
  }
  return { error: dockerfileError(err, name) };
}

/** Builds, telling the progress on `stream` as dockerd's legacy builder does; the caller ends it. */
async function runBuild(engine: ImageEngine, registry: () => Promise<RegistryClient>, runs: ForegroundRuns, ctx: RequestContext, res: ServerResponse, stream: JsonMessageStream, context: ReceivedContext, dockerfile: Dockerfile, query: DockerBuildQuery): Promise<void> {
  // -q: only the ID on success; on failure what the build printed comes first, as dockerd does.
  const held: JsonMessage[] = [];
  const send = (message: JsonMessage): void => {
    if (query.quiet) held.push(message);
    else stream.send(message);
  };
  const controller = new AbortController();
  const key = `docker-build-${ctx.reqId}`;
  runs.register(key, controller);
  const clientGone = (): void => {
    if (!res.writableFinished) controller.abort(new KilnError('CANCELED', 'the client went away'));
  };
  res.once('close', clientGone);
  const started = performance.now();
  let output: LegacyBuildOutput | undefined;
  try {
    if (query.pull) await pullImages(engine, registry, dockerfile.plan, send, controller.signal);
    output = new LegacyBuildOutput(legacySteps(dockerfile.plan), send, {
      removeIntermediate: query.removeIntermediate, baseIds: await baseImageIds(engine, dockerfile.plan),
    });
    const progress = output;
    const result = await buildImage(engine, {
      contextDir: context.dir, dockerfile: dockerfile.path, tags: query.tags, buildArgs: query.buildArgs,
      noCache: query.noCache, transientContext: true, signal: controller.signal, registry,
      progress: (event) => progress.progress(event),
      ...(query.target === undefined ? {} : { target: query.target }),
    });
    output.succeeded(result.id, query.shownTags, dockerfile.plan.unusedBuildArgs);
    if (query.quiet) stream.send({ stream: `${result.id}\n` });
    ctx.log.info('build ended', { reqId: ctx.reqId, image: result.id, ms: Math.round(performance.now() - started) });
  } catch (err) {
    ctx.log.info('build failed', { reqId: ctx.reqId, error: errorMessage(err) });
    output?.failed(err instanceof KilnError ? err.details.vertex : undefined);
    for (const message of held) stream.send(message);
    const { error, code } = dockerFailure(err, dockerfile.name);
    stream.send(failureMessage(error, code));
  } finally {
    res.off('close', clientGone);
    runs.unregister(key);
  }
}

async function serveBuild(engine: ImageEngine, runs: ForegroundRuns, ctx: RequestContext, res: ServerResponse): Promise<void> {
  const query = parseBuildQuery(ctx.query);
  const credentials = registryConfigCredentials(ctx.req);
  const started = performance.now();
  const context = await receiveContext(ctx.req, engine.root);
  let stream: JsonMessageStream | undefined;
  try {
    ctx.log.info('build context received', { reqId: ctx.reqId, entries: context.entries, bytes: context.bytes, ms: Math.round(performance.now() - started) });
    const dockerfile = await prepareDockerfile(context, query);
    stream = openJsonStream(res);
    const registry = requestRegistry(engine, requestKeychain(credentials));
    try {
      await runBuild(engine, registry.get, runs, ctx, res, stream, context, dockerfile, query);
    } finally {
      await registry.close();
    }
  } finally {
    // Before the answer ends: a client that has its answer finds nothing of the context left.
    await context.remove();
    stream?.end();
  }
}

export function dockerBuildRoutes(router: Router, engine: ImageEngine, runs: ForegroundRuns): void {
  router.on('POST', /^\/build$/, (ctx, res) => {
    const build = serveBuild(engine, runs, ctx, res);
    runs.track(build.catch(() => undefined));
    return build;
  });
}
