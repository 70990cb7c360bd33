// The body of `POST /kiln/v1/containers/run`: the RunOptions the CLI builds from its flags. The
// shapes are checked here, at the edge, so that a malformed request gets a 400 naming the field;
// what the values mean (a bad memory size, an unknown network) is createContainer's to judge.
// A terminal's window size comes in the query as docker's resize has it (`h` and `w`), of a
// resize request and of a run or exec that starts with the client's size; it is read here too.
import type { WindowSize } from '../../api/frames.js';
import type { RunOptions } from '../containers/run.js';
import { KilnError } from '../../util/errors.js';

type FieldKind = 'string' | 'strings' | 'boolean';

const fields: Record<string, FieldKind> = {
  image: 'string', args: 'strings', entrypoint: 'string', env: 'strings', envFile: 'strings',
  workingDir: 'string', user: 'string', name: 'string', network: 'string', publish: 'strings',
  autoRemove: 'boolean', interactive: 'boolean', tty: 'boolean', volumes: 'strings', mounts: 'strings',
  memory: 'string', cpus: 'string', stopSignal: 'string', stopTimeout: 'string', restart: 'string',
};

/** A pty's rows and columns are unsigned 16-bit numbers. */
const maxWindowSide = 0xffff;

function fits(kind: FieldKind, value: unknown): boolean {
  if (kind === 'strings') return Array.isArray(value) && value.every((item) => typeof item === 'string');
  return typeof value === kind;
}

function invalid(message: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid run request: ${message}`);
}

/** A resize request's `h` and `w`, both required. */
export function windowSizeQuery(query: URLSearchParams): WindowSize {
  const side = (name: string): number => {
    const text = query.get(name) ?? '';
    const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(value <= maxWindowSide)) throw new KilnError('INVALID_ARGUMENT', `invalid value for ${name}: ${JSON.stringify(text)} (expected a whole number up to ${maxWindowSide})`);
    return value;
  };
  return { height: side('h'), width: side('w') };
}

/** The size a run's or an exec's terminal starts with, when the request gives one. */
export function startWindowSize(query: URLSearchParams): WindowSize | undefined {
  return query.has('h') || query.has('w') ? windowSizeQuery(query) : undefined;
}

export function parseRunOptions(body: unknown): RunOptions {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object');
  for (const [key, value] of Object.entries(body)) {
    const kind = fields[key];
    if (kind === undefined) throw invalid(`unknown field "${key}"`);
    if (!fits(kind, value)) throw invalid(`"${key}" must be ${kind === 'strings' ? 'an array of strings' : `a ${kind}`}`);
  }
  const options = body as Partial<RunOptions>;
  if (options.image === undefined || options.image === '') throw invalid('"image" is required');
  if (options.args === undefined) throw invalid('"args" is required');
  return options as RunOptions;
}
