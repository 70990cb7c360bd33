// The container commands' calls to the daemon's native container API (src/api/containers.ts).
// This module is on `kiln ps`' start-up path: it loads node built-ins and the small client
// modules only.
import {
  containerPath, containersPath, type ContainerSummary, type DetachedRunMessage, type LogEntryView, type LogsMessage, type WaitResponse,
} from '../../api/containers.js';
import type { DaemonAddress } from '../../api/host.js';
import type { RunOptions } from '../../daemon/containers/run.js';
import { KilnError } from '../../util/errors.js';
import { requestJson, requestMessages, streamMessages } from './request.js';
import { failureOf } from './attach.js';

export function listContainers(address: DaemonAddress, all: boolean): Promise<ContainerSummary[]> {
  return requestJson(address, 'GET', `${containersPath}${all ? '?all=true' : ''}`);
}

/** The container as `container inspect` prints it; an unknown one rejects with NOT_FOUND. */
export function inspectContainer(address: DaemonAddress, container: string): Promise<Record<string, unknown>> {
  return requestJson(address, 'GET', containerPath(container));
}

/** Resolves once the container no longer runs; `seconds` before SIGKILL, default its own --stop-timeout. */
export async function stopContainer(address: DaemonAddress, container: string, seconds: number | undefined): Promise<void> {
  await requestJson(address, 'POST', `${containerPath(container, 'stop')}${seconds === undefined ? '' : `?t=${seconds}`}`);
}

/** `signal` as runc names it (SIGKILL). */
export async function killContainer(address: DaemonAddress, container: string, signal: string): Promise<void> {
  await requestJson(address, 'POST', `${containerPath(container, 'kill')}?signal=${encodeURIComponent(signal)}`);
}

/** The container's exit code, once it does not run. */
export async function waitContainer(address: DaemonAddress, container: string): Promise<number> {
  return (await requestJson<WaitResponse>(address, 'POST', containerPath(container, 'wait'))).exitCode;
}

export async function removeContainer(address: DaemonAddress, container: string, options: { force: boolean; volumes: boolean }): Promise<void> {
  const query = new URLSearchParams({ ...(options.force ? { force: 'true' } : {}), ...(options.volumes ? { volumes: 'true' } : {}) }).toString();
  await requestJson(address, 'DELETE', `${containerPath(container)}${query === '' ? '' : `?${query}`}`);
}

/** Each entry of the container's log to `onEntry` as it arrives; with follow, until the container no longer runs. */
export async function containerLogs(address: DaemonAddress, container: string, options: { tail: number; follow: boolean }, onEntry: (entry: LogEntryView) => void): Promise<void> {
  const query = new URLSearchParams({ ...(options.tail === Infinity ? {} : { tail: String(options.tail) }), ...(options.follow ? { follow: 'true' } : {}) }).toString();
  await requestMessages<LogsMessage>(address, 'GET', `${containerPath(container, 'logs')}${query === '' ? '' : `?${query}`}`, {}, 'the logs', (message) => {
    if ('entry' in message) onEntry(message.entry);
  });
}

/**
 * Creates and starts a container the daemon supervises (kiln run -d); its ID once runc runs its
 * process. What the run writes to stderr first (a pull's lines) goes to `stderr`; a failure
 * rejects with the exit status docker run gives it (`exitStatus`).
 */
export async function runDetached(address: DaemonAddress, options: RunOptions, stderr: NodeJS.WritableStream): Promise<string> {
  let id: string | undefined;
  await streamMessages<DetachedRunMessage>(address, 'POST', containersPath, { body: options }, 'the run', (message) => {
    if ('stderr' in message) stderr.write(message.stderr);
    else if ('error' in message) throw failureOf(message.error);
    else if ('result' in message) id = message.result.id;
  });
  if (id === undefined) throw new KilnError('UNAVAILABLE', 'the kiln daemon did not say which container it started');
  return id;
}
