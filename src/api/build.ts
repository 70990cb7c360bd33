// `POST /kiln/v1/build`, shared by the daemon and the client. The request is an upgrade with the
// build's options as its JSON body; the connection then carries one JSON message per line from
// the daemon: progress events, then the result or the error. The daemon reads the context
// directory in place, so paths are absolute. A client that goes away cancels the build.
//
// When the build needs a registry (a base image to pull, --push), the daemon asks the client for
// the user's login on the same connection (`credentials` with a host); the client answers with
// one JSON line of its own (CredentialsAnswer). Credentials so stay with the user, as with pull
// and push, and a build that pulls nothing asks nothing.
import type { ContextStats } from '../contenthash/index.js';
import type { VertexEvent } from '../solver/progress.js';
import type { KilnErrorJSON } from '../util/errors.js';
import type { BuildOutput, BuiltImageDescriptor } from './build-output.js';

export const buildPath = '/kiln/v1/build';

/** The largest secret a build takes, as BuildKit's MaxSecretSize. */
export const maxSecretSize = 500 * 1024;

export interface BuildRequest {
  /** Absolute. */
  contextDir: string;
  /** Absolute; default `<contextDir>/Dockerfile`. */
  dockerfile?: string;
  tags: string[];
  /** `--build-arg` values, already taken from the client's environment where it gave none. */
  buildArgs: Record<string, string>;
  target?: string;
  /** More stages, each an image of its own, solved together (`--target a --target b`). */
  targets?: string[];
  noCache?: boolean;
  jobs?: number;
  /** `--secret` values by id, base64; held in the daemon's memory for this build only. */
  secrets?: Record<string, string>;
  /** `--ssh` agent sockets by id: absolute paths on the daemon's host. */
  ssh?: Record<string, string>;
  /** `--output` / `--push`; default: the image in the store (buildx `--load`). */
  outputs?: BuildOutput[];
  /** `--cache-from` values in BuildKit's syntax (api/build-cache.ts); local paths absolute. */
  cacheFrom?: string[];
  /** `--cache-to` values, likewise. */
  cacheTo?: string[];
  /** Plan only: the stream ends with a `plan` instead of a result, and nothing runs. */
  dryRun?: boolean;
}

/**
 * A progress event as the solver reports it (its fields documented there), without the event
 * type (the stream holds only vertex events) and with digests as the plain strings JSON
 * carries. A step's logs are clipped at 2 MiB.
 */
export type BuildProgress = Omit<VertexEvent, 'type' | 'digest' | 'causedBy'> & { digest: string; causedBy?: string };

/** A registry login as the client sends it: the fields of its docker config's credential. */
export interface RegistryLogin {
  username?: string;
  password?: string;
  identityToken?: string;
  registryToken?: string;
}

/** The client's answer to a `credentials` question: no login means anonymous access. */
export interface CredentialsAnswer {
  credentials: { id: number; login?: RegistryLogin };
}

export type BuildMessage =
  | { progress: BuildProgress }
  | { credentials: { id: number; host: string } }
  | { result: BuildResultMessage }
  | { plan: BuildPlanMessage }
  | { error: KilnErrorJSON };

/** One target's image. */
export interface BuiltTargetMessage {
  target?: string;
  id: string;
  manifest: string;
  names: string[];
  descriptor?: BuiltImageDescriptor;
}

/** The build's image (the first target's), every target's when there were several, and what reading the context cost. */
export interface BuildResultMessage extends Omit<BuiltTargetMessage, 'target'> {
  images?: BuiltTargetMessage[];
  context?: ContextStats;
  warnings?: string[];
}

/** One step of a `--dry-run` plan (solver/plan.ts PlannedStep). */
export interface PlannedStepMessage {
  digest: string;
  name: string;
  status: 'cached' | 'imported' | 'run';
  reason?: string;
  causedBy?: string;
}

/** What a `--dry-run` found: each target's steps, inputs before their users. */
export interface BuildPlanMessage {
  targets: { target?: string; steps: PlannedStepMessage[] }[];
  warnings?: string[];
}

export function encodeBuildMessage(message: BuildMessage): string {
  return `${JSON.stringify(message)}\n`;
}
