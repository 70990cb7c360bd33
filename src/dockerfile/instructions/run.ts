// RUN [--mount=...]* [--network=default|none|host] [--security=sandbox|insecure]
//     [--device=name[,required]]* command
// (BuildKit's parseRun and its pre/post hooks in commands_run*.go).
import type { Range } from '../ast.js';
import { shellCmdLine } from './cmdline.js';
import { CsvError, csvFields } from './csv.js';
import { errorAt, type SourceText } from './errors.js';
import { parseFlags, type FlagSpec, type ParsedFlags } from './flags.js';
import { parseGoBool } from './goparse.js';
import { parseMountSpec } from './mounts.js';
import { argsRange, commandBase, usage, type ParseRequest } from './request.js';
import { didYouMean, joinHints } from './suggest.js';
import type { Device, NetworkMode, RunCommand, SecurityMode } from './types.js';

export const runFlags: readonly FlagSpec[] = [
  { name: 'mount', kind: 'strings' },
  { name: 'network', kind: 'string' },
  { name: 'security', kind: 'string' },
  { name: 'device', kind: 'strings' },
];

const networkModes: readonly NetworkMode[] = ['default', 'none', 'host'];
const securityModes: readonly SecurityMode[] = ['sandbox', 'insecure'];

export function parseRun(req: ParseRequest): RunCommand {
  const flags = parseFlags('RUN', req.node.flags, runFlags, req.src);
  const cmdline = shellCmdLine(req);
  if (cmdline.cmdLine.length === 0) throw errorAt(req.src, argsRange(req), 'RUN requires a command', usage('RUN'));
  return {
    ...commandBase(req, flags),
    kind: 'run',
    ...cmdline,
    mounts: flags.occurrences('mount').map((m) => parseMountSpec(m.value, m.range, req.src)),
    network: choice(req, flags, 'network', networkModes, 'default'),
    security: choice(req, flags, 'security', securityModes, 'sandbox'),
    devices: flags.occurrences('device').map((d) => parseDevice(d.value, d.range, req.src)),
    flagsUsed: flags.used,
  };
}

function choice<T extends string>(req: ParseRequest, flags: ParsedFlags, name: string, allowed: readonly T[], fallback: T): T {
  const value = flags.string(name);
  if (value === undefined) return fallback;
  const found = allowed.find((a) => a === value);
  if (found !== undefined) return found;
  const hint = joinHints(didYouMean(value, allowed), `--${name} is one of ${allowed.join(', ')}`);
  throw errorAt(req.src, flags.ranges[name] as Range, `invalid --${name} value "${value}" for RUN`, hint);
}

/** `--device=name[,required[=bool]]` or `--device=name=x,required` (commands_rundevice.go). */
export function parseDevice(text: string, range: Range, src: SourceText): Device {
  const fail = (message: string, hint?: string): Error => errorAt(src, range, message, hint);
  let fields: string[];
  try {
    fields = csvFields(text);
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    throw fail(`invalid --device value: ${err.message}`, 'write --device=<name>[,required]');
  }
  const device: Device = { name: '', required: false };
  for (const field of fields) applyDeviceField(device, field, fail);
  return device;
}

function applyDeviceField(device: Device, field: string, fail: (message: string, hint?: string) => Error): void {
  const eq = field.indexOf('=');
  const key = (eq === -1 ? field : field.slice(0, eq)).toLowerCase();
  const value = eq === -1 ? undefined : field.slice(eq + 1);
  if (key === 'required') {
    const required = value === undefined ? true : parseGoBool(value);
    if (required === undefined) throw fail(`invalid value "${value ?? ''}" for required in --device`, 'use true or false');
    device.required = required;
  } else if (key === 'name' && value !== undefined) {
    if (device.name !== '') throw fail(`device name already set to ${device.name}`, 'give the device name once');
    device.name = value;
  } else if (device.name === '') {
    // A CDI name such as `vendor.com/class=name` holds `=`, so the first other field is the name.
    device.name = field;
  } else if (value === undefined) {
    throw fail(`invalid field '${field}' in --device: it must be a key=value pair`);
  } else {
    throw fail(`unexpected key '${key}' in '${field}' of --device`, joinHints(didYouMean(key, ['name', 'required']), 'valid keys: name, required'));
  }
}
