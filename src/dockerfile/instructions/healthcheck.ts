// HEALTHCHECK NONE | [--interval --timeout --start-period --start-interval --retries] CMD ...
// Durations are Go durations (`30s`, `1m30s`); a given duration below 1ms is refused, zero
// means "inherit the default", as in BuildKit's parseHealthcheck.
import type { Range } from '../ast.js';
import { DurationError, parseGoDuration } from './duration.js';
import { errorAt } from './errors.js';
import { parseFlags, type FlagSpec, type ParsedFlags } from './flags.js';
import { commandBase, requireArgs, usage, type ParseRequest } from './request.js';
import type { HealthcheckCommand, HealthConfig } from './types.js';

export const healthcheckFlags: readonly FlagSpec[] = [
  { name: 'interval', kind: 'string' },
  { name: 'timeout', kind: 'string' },
  { name: 'start-period', kind: 'string' },
  { name: 'start-interval', kind: 'string' },
  { name: 'retries', kind: 'string' },
];

const minimumNanos = 1_000_000n;

export function parseHealthcheck(req: ParseRequest): HealthcheckCommand {
  requireArgs(req, 'at-least-one');
  const [typeArg, ...rest] = req.args;
  const type = (typeArg?.value ?? '').toUpperCase();
  if (type === 'NONE') {
    if (rest.length > 0) throw errorAt(req.src, req.node.argsRange, 'HEALTHCHECK NONE takes no arguments', usage('HEALTHCHECK'));
    // BuildKit never looks at the flags of HEALTHCHECK NONE, so neither do we.
    return { ...commandBase(req), kind: 'healthcheck', health: healthConfig(['NONE']) };
  }
  const flags = parseFlags('HEALTHCHECK', req.node.flags, healthcheckFlags, req.src);
  if (type !== 'CMD') {
    const range = typeArg?.range ?? req.node.argsRange;
    throw errorAt(req.src, range, `unknown HEALTHCHECK type "${typeArg?.value ?? ''}"`, 'use HEALTHCHECK CMD <command> or HEALTHCHECK NONE');
  }
  const command = req.node.json ? rest.map((a) => a.value) : rest.length > 0 ? [rest.map((a) => a.value).join(' ')] : [];
  if (command.length === 0) throw errorAt(req.src, req.node.argsRange, 'missing command after HEALTHCHECK CMD', usage('HEALTHCHECK'));
  const test = [req.node.json ? 'CMD' : 'CMD-SHELL', ...command];
  return { ...commandBase(req, flags), kind: 'healthcheck', health: healthFromFlags(req, flags, test) };
}

function healthFromFlags(req: ParseRequest, flags: ParsedFlags, test: string[]): HealthConfig {
  const interval = (name: string): number => durationFlag(req, flags, name);
  return {
    test,
    interval: interval('interval'),
    timeout: interval('timeout'),
    startPeriod: interval('start-period'),
    startInterval: interval('start-interval'),
    retries: retriesFlag(req, flags),
  };
}

function healthConfig(test: string[]): HealthConfig {
  return { test, interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
}

function durationFlag(req: ParseRequest, flags: ParsedFlags, name: string): number {
  const text = flags.string(name);
  if (text === undefined || text === '') return 0;
  const range = flags.ranges[name] as Range;
  let nanos: bigint;
  try {
    nanos = parseGoDuration(text);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw errorAt(req.src, range, `${err.message} for --${name} of HEALTHCHECK`, 'use a duration such as 30s, 1m30s or 500ms');
  }
  if (nanos !== 0n && nanos < minimumNanos) {
    throw errorAt(req.src, range, `--${name} of HEALTHCHECK cannot be less than 1ms`, 'use a duration such as 30s, 1m30s or 500ms');
  }
  return Number(nanos);
}

function retriesFlag(req: ParseRequest, flags: ParsedFlags): number {
  const text = flags.string('retries');
  if (text === undefined || text === '') return 0;
  const range = flags.ranges['retries'] as Range;
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value > 2 ** 31 - 1 || value < -(2 ** 31)) {
    throw errorAt(req.src, range, `invalid value "${text}" for --retries of HEALTHCHECK`, 'give a whole number, e.g. --retries=3');
  }
  if (value < 0) throw errorAt(req.src, range, `--retries of HEALTHCHECK cannot be negative (${value})`, 'give a whole number, e.g. --retries=3');
  return value;
}
