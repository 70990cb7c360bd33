// The body of `POST /kiln/v1/containers/run`: the RunOptions the CLI builds from its flags. The
// shapes are checked here, at the edge, so that a malformed request gets a 400 naming the field;
// what the values mean (a bad memory size, an unknown network) is createContainer's to judge.
import type { RunOptions } from '../containers/run.js';
import { KilnError } from '../../util/errors.js';

type FieldKind = 'string' | 'strings' | 'boolean';

const fields: Record<string, FieldKind> = {
  image: 'string', args: 'strings', entrypoint: 'string', env: 'strings', envFile: 'strings',
  workingDir: 'string', user: 'string', name: 'string', network: 'string', publish: 'strings',
  autoRemove: 'boolean', interactive: 'boolean', tty: 'boolean', volumes: 'strings', mounts: 'strings',
  memory: 'string', cpus: 'string', stopSignal: 'string', stopTimeout: 'string',
};

function fits(kind: FieldKind, value: unknown): boolean {
  if (kind === 'strings') return Array.isArray(value) && value.every((item) => typeof item === 'string');
  return typeof value === kind;
}

function invalid(message: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid run request: ${message}`);
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
  // A terminal needs runc's console socket on this side; -t runs stay in the CLI for now.
  if (options.tty === true) throw invalid('"tty" is not supported over the API yet');
  return options as RunOptions;
}
