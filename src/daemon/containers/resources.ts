// The run flags that shape a container's cgroup and its stop, parsed as the docker CLI parses
// them: -m/--memory in go-units' RAMInBytes syntax (binary multiples, "512m", "1.5g", "64MiB"),
// --cpus as a decimal fraction of CPUs, --stop-signal as a signal name or number and
// --stop-timeout in whole seconds.
import { availableParallelism } from 'node:os';
import { KilnError } from '../../util/errors.js';
import { parseSignal } from './signals.js';

export interface ResourceOptions {
  /** -m / --memory, as given. */
  memory?: string;
  /** --cpus, as given. */
  cpus?: string;
  /** --stop-signal, as given. */
  stopSignal?: string;
  /** --stop-timeout, as given. */
  stopTimeout?: string;
}

export interface ContainerLimits {
  memoryBytes?: number;
  cpus?: number;
  /** The signal `stop` sends first: --stop-signal, else the image's STOPSIGNAL, else SIGTERM. */
  stopSignal?: string;
  /** Seconds `stop` waits before SIGKILL when not given -t. */
  stopTimeout?: number;
}

const ramUnits: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

function invalid(flag: string, value: string, why: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid argument "${value}" for "${flag}" flag: ${why}`, { details: { flag } });
}

/** go-units RAMInBytes: a number, an optional unit letter, an optional "i" and an optional "b". */
export function parseMemoryBytes(text: string, flag = '--memory'): number {
  const match = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text);
  if (match === null) throw invalid(flag, text, `invalid size: '${text}'`);
  const bytes = Math.trunc(Number(match[1]) * (ramUnits[(match[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw invalid(flag, text, 'too large');
  return bytes;
}

export function parseCpus(text: string, available = availableParallelism()): number {
  const cpus = /^\d*\.?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(cpus)) throw invalid('--cpus', text, 'not a decimal number');
  // docker's own limits: below a hundredth of a CPU the CFS quota is too small to schedule.
  if (cpus !== 0 && (cpus < 0.01 || cpus > available)) {
    throw new KilnError('INVALID_ARGUMENT', `range of CPUs is from 0.01 to ${available.toFixed(2)}, as there are only ${available} CPUs available`, {
      details: { flag: '--cpus' },
    });
  }
  return cpus;
}

function parseStopTimeout(text: string): number {
  if (!/^-?\d+$/.test(text)) throw invalid('--stop-timeout', text, 'strconv.ParseInt: parsing invalid syntax');
  return Number(text);
}

/** The limits asked for by the run's flags, with the image's STOPSIGNAL as the default signal. */
export function containerLimits(options: ResourceOptions, imageStopSignal?: string): ContainerLimits {
  const memoryBytes = options.memory === undefined ? undefined : parseMemoryBytes(options.memory);
  const cpus = options.cpus === undefined ? undefined : parseCpus(options.cpus);
  const signalText = options.stopSignal ?? (imageStopSignal === '' ? undefined : imageStopSignal);
  const stopSignal = signalText === undefined ? undefined : parseSignal(signalText, '--stop-signal');
  const stopTimeout = options.stopTimeout === undefined ? undefined : parseStopTimeout(options.stopTimeout);
  return {
    // docker: a limit of 0 is no limit.
    ...(memoryBytes === undefined || memoryBytes === 0 ? {} : { memoryBytes }),
    ...(cpus === undefined || cpus === 0 ? {} : { cpus }),
    ...(stopSignal === undefined ? {} : { stopSignal }),
    ...(stopTimeout === undefined ? {} : { stopTimeout }),
  };
}
