// Restart policies as docker has them (`run --restart`, HostConfig.RestartPolicy):
// - no: never restarted (the default);
// - always: restarted whenever it exits; one stopped by hand stays stopped until it is started
//   again or the daemon restarts;
// - unless-stopped: as always, but one stopped by hand stays stopped across daemon restarts;
// - on-failure[:N]: restarted when it exits non-zero, at most N times (no N: without limit).
// Stopping by hand is `stop`, or `kill` with a signal that ends the container (KILL, TERM, INT,
// QUIT or its own stop signal); a signal such as USR1 leaves the policy in force. A container
// that could not be started is not restarted. Each restart waits twice as long as the one
// before, from 100 ms up to a minute; a run that lasted 10 s starts the count over.
import { KilnError } from '../../util/errors.js';
import type { ContainerRecord } from './record.js';

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface RestartPolicy {
  name: RestartPolicyName;
  /** on-failure's N; 0 is without limit. */
  maximumRetryCount: number;
}

const names = new Set<string>(['no', 'always', 'unless-stopped', 'on-failure']);
const firstDelayMs = 100;
const maxDelayMs = 60_000;
/** A run at least this long resets the delay. */
const steadyRunMs = 10_000;
const fatalSignals = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT']);

function invalid(text: string, why: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid restart policy "${text}": ${why}`, { details: { flag: '--restart' } });
}

/** `--restart`'s syntax: a name, and for on-failure an optional `:N`. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name = '', count, ...rest] = text.split(':');
  if (!names.has(name) || rest.length > 0) throw invalid(text, 'expected no, always, unless-stopped or on-failure[:max-retries]');
  if (count === undefined) return { name: name as RestartPolicyName, maximumRetryCount: 0 };
  if (name !== 'on-failure') throw invalid(text, 'maximum retry count can only be used with on-failure');
  if (!/^\d+$/.test(count)) throw invalid(text, `maximum retry count must be a whole number, got "${count}"`);
  return { name: 'on-failure', maximumRetryCount: Number(count) };
}

/** The Engine API's form (`{Name, MaximumRetryCount}`) as --restart's text; undefined for none. */
export function restartPolicyText(name: string, maximumRetryCount: number): string | undefined {
  if (name === '' || name === 'no') return undefined;
  return name === 'on-failure' && maximumRetryCount > 0 ? `${name}:${maximumRetryCount}` : name;
}

/** docker's rule: a container that goes when it exits cannot also come back. */
export function checkRestartWithAutoRemove(policy: RestartPolicy | undefined, autoRemove: boolean): void {
  if (autoRemove && policy !== undefined && policy.name !== 'no') {
    throw new KilnError('INVALID_ARGUMENT', 'conflicting options: --restart and --rm', { details: { flag: '--restart' } });
  }
}

/** Whether `signal` (as runc names it) stops the container by hand, disabling its policy. */
export function stopsByHand(signal: string, record: ContainerRecord): boolean {
  return fatalSignals.has(signal) || signal === (record.config.stopSignal ?? 'SIGTERM');
}

/** Whether a run that ended on its own (with `exitCode`) is restarted. */
export function restartsAfterExit(record: ContainerRecord, exitCode: number): boolean {
  const policy = record.config.restartPolicy;
  if (policy === undefined || record.state.manuallyStopped === true) return false;
  switch (policy.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (policy.maximumRetryCount === 0 || (record.state.restartCount ?? 0) < policy.maximumRetryCount);
    default:
      return false;
  }
}

/** Whether the daemon starts the container when the daemon itself starts. */
export function restartsWithDaemon(record: ContainerRecord): boolean {
  const policy = record.config.restartPolicy;
  if (policy?.name === 'always') return true;
  return restartsAfterExit(record, record.state.exitCode ?? 0);
}

/** The wait before restart number `count + 1`, after a run of `ranMs`. */
export function restartDelayMs(previousDelayMs: number | undefined, ranMs: number): number {
  if (previousDelayMs === undefined || ranMs >= steadyRunMs) return firstDelayMs;
  return Math.min(previousDelayMs * 2, maxDelayMs);
}
