// `kiln build` through the daemon (src/api/build.ts): the options go up as an upgrade request's
// body, progress comes down line by line, then the result or the error (a failed step's error
// keeps its output lines); the daemon's questions for registry logins are answered on the way.
// Closing the connection cancels the build.
import type { Socket } from 'node:net';
import {
  buildPath, type BuildMessage, type BuildPlanMessage, type BuildProgress, type BuildRequest, type BuildResultMessage, type CredentialsAnswer,
} from '../../api/build.js';
import { LineDecoder } from '../../api/lines.js';
import type { DaemonAddress } from '../../api/host.js';
import { KilnError } from '../../util/errors.js';
import { ensureDaemon } from './connect.js';
import { readBody, readHead, responseError, writeRequest } from './wire.js';

/** What a build made, as the daemon reports it. */
export type BuiltImage = BuildResultMessage;

/**
 * The user's login for the host the daemon asks about, from their docker config or credential
 * helper (loaded only when a build needs a registry); a helper that fails answers anonymous, and
 * the registry's refusal then names the problem.
 */
async function answerCredentials(socket: Socket, question: { id: number; host: string }): Promise<void> {
  const { DockerConfigKeychain } = await import('../../registry/keychain.js');
  const login = await new DockerConfigKeychain().resolve(question.host).catch(() => undefined);
  const answer: CredentialsAnswer = { credentials: { id: question.id, ...(login === undefined ? {} : { login }) } };
  if (!socket.destroyed) socket.write(`${JSON.stringify(answer)}\n`);
}

type FinalMessage = Extract<BuildMessage, { result: unknown } | { plan: unknown }>;

/** Builds through the daemon of `address`, starting it when none runs; `signal` cancels. */
export async function buildThroughDaemon(address: DaemonAddress, request: BuildRequest, onProgress: (event: BuildProgress) => void, signal?: AbortSignal): Promise<BuiltImage> {
  const final = await streamBuild(address, { ...request, dryRun: false }, onProgress, signal);
  if (!('result' in final)) throw new KilnError('INTERNAL', 'the daemon answered a build with a plan');
  return final.result;
}

/** The plan of a build (`--dry-run`): nothing runs. */
export async function planThroughDaemon(address: DaemonAddress, request: BuildRequest, onProgress: (event: BuildProgress) => void, signal?: AbortSignal): Promise<BuildPlanMessage> {
  const final = await streamBuild(address, { ...request, dryRun: true }, onProgress, signal);
  if (!('plan' in final)) throw new KilnError('INTERNAL', 'the daemon answered a dry run with a build');
  return final.plan;
}

async function streamBuild(address: DaemonAddress, request: BuildRequest, onProgress: (event: BuildProgress) => void, signal?: AbortSignal): Promise<FinalMessage> {
  const socket = await ensureDaemon(address);
  try {
    writeRequest(socket, 'POST', buildPath, { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json' }, JSON.stringify(request));
    const response = await readHead(socket, address.socketPath);
    if (response.status !== 101) throw responseError(response.status, await readBody(socket, response));
    return await new Promise<FinalMessage>((done, fail) => {
      const decoder = new LineDecoder();
      const onChunk = (chunk: Buffer): void => {
        for (const line of decoder.push(chunk)) {
          const message = JSON.parse(line) as BuildMessage;
          if ('progress' in message) onProgress(message.progress);
          else if ('credentials' in message) void answerCredentials(socket, message.credentials);
          else if ('error' in message) fail(KilnError.fromJSON(message.error));
          else done(message);
        }
      };
      if (response.rest.length > 0) onChunk(response.rest);
      socket.on('data', onChunk);
      socket.resume();
      socket.once('error', fail);
      socket.once('close', () => fail(new KilnError('UNAVAILABLE', 'the kiln daemon closed the connection before the build ended', {
        hint: 'see the daemon\'s log (kilnd.log in the store root)',
      })));
      signal?.addEventListener('abort', () => fail(signal.reason as Error), { once: true });
    });
  } finally {
    socket.destroy();
  }
}
