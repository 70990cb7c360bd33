// The image commands' calls to the daemon's native image API (src/api/images.ts). This module
// is on `kiln images`' start-up path: it loads node built-ins and the small client modules only.
import type { Readable, Writable } from 'node:stream';
import type { DaemonAddress } from '../../api/host.js';
import {
  authPath, imagePath, imagesPath, loadLayoutPath, loadPath, pullPath, saveLayoutPath, savePath,
  type AuthRequest, type ImageSummary, type LoadResponse, type PullMessage, type PullRequest, type PushMessage,
  type PushRequest, type RemoveResponse, type SaveLayoutRequest, type SaveRequest,
} from '../../api/images.js';
import { requestBytes, requestJson, requestMessages, uploadJson } from './request.js';

export function listImages(address: DaemonAddress): Promise<ImageSummary[]> {
  return requestJson(address, 'GET', imagesPath);
}

/** The image as `image inspect` prints it; an unknown name rejects with NOT_FOUND. */
export function inspectImage(address: DaemonAddress, name: string): Promise<Record<string, unknown>> {
  return requestJson(address, 'GET', imagePath(name));
}

export async function tagImage(address: DaemonAddress, source: string, target: string): Promise<void> {
  await requestJson(address, 'POST', imagePath(source, 'tag'), { body: { target } });
}

export function removeImage(address: DaemonAddress, name: string, force: boolean): Promise<RemoveResponse> {
  return requestJson(address, 'DELETE', `${imagePath(name)}${force ? '?force=true' : ''}`);
}

/** `auth`: the request's X-Registry-Auth header, when the user has credentials for the registry. */
export function pullImage(address: DaemonAddress, request: PullRequest, auth: Record<string, string>, onMessage: (message: PullMessage) => void) {
  return requestMessages<PullMessage>(address, 'POST', pullPath, { body: request, headers: auth }, 'the pull', onMessage);
}

export function pushImage(address: DaemonAddress, name: string, request: PushRequest, auth: Record<string, string>, onMessage: (message: PushMessage) => void) {
  return requestMessages<PushMessage>(address, 'POST', imagePath(name, 'push'), { body: request, headers: auth }, 'the push', onMessage);
}

/**
 * Writes the archive to `out` as the daemon streams it, keeping to `out`'s pace; resolves once
 * `out` has taken the last byte (stdout on a pipe writes asynchronously, and the CLI exits
 * right after the command).
 */
export async function saveImages(address: DaemonAddress, request: SaveRequest, out: Writable): Promise<void> {
  let full: Promise<void> | undefined;
  await requestBytes(address, savePath, { body: request }, 'the archive', (data) => {
    if (!out.write(data)) full ??= drained(out).finally(() => (full = undefined));
    return full;
  });
  await new Promise<void>((done, fail) => out.write('', (err) => (err ? fail(err) : done())));
}

/** Resolves once `out` takes writes again; rejects if it fails or closes first. */
function drained(out: Writable): Promise<void> {
  return new Promise((resume, fail) => {
    const settle = (err?: Error): void => {
      out.off('drain', onDrain).off('error', settle).off('close', onClose);
      if (err === undefined) resume();
      else fail(err);
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(new Error('the output closed before the archive was written'));
    out.once('drain', onDrain).once('error', settle).once('close', onClose);
  });
}

export async function saveLayout(address: DaemonAddress, request: SaveLayoutRequest): Promise<void> {
  await requestJson(address, 'POST', saveLayoutPath, { body: request });
}

/** Streams a tar (docker-archive or OCI, gzip allowed) up to the daemon. */
export function loadArchive(address: DaemonAddress, input: Readable): Promise<LoadResponse> {
  return uploadJson(address, loadPath, 'application/x-tar', input);
}

/** Loads an OCI layout directory, which the daemon reads in place (`path` absolute). */
export function loadLayout(address: DaemonAddress, path: string): Promise<LoadResponse> {
  return requestJson(address, 'POST', loadLayoutPath, { body: { path } });
}

/** Has the daemon check a login against the registry; rejects with the registry's refusal. */
export async function checkLogin(address: DaemonAddress, request: AuthRequest): Promise<void> {
  await requestJson(address, 'POST', authPath, { body: request });
}
