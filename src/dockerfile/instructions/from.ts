// FROM [--platform=<platform>] <image> [AS <name>]: the start of a stage. The image and the
// platform may use global ARGs; they are expanded when the build is planned (plan.ts).
import { errorAt } from './errors.js';
import { parseFlags, type FlagSpec } from './flags.js';
import { argsRange, commandBase, type ParseRequest } from './request.js';
import type { FromInstruction } from './types.js';

export const fromFlags: readonly FlagSpec[] = [{ name: 'platform', kind: 'string' }];

const validStageName = /^[a-z][a-z0-9-_.]*$/;

export function parseFrom(req: ParseRequest): FromInstruction {
  const [base, as, nameArg] = req.args;
  const named = req.args.length === 3 && as !== undefined && as.value.toLowerCase() === 'as';
  if (base === undefined || (req.args.length !== 1 && !named)) {
    throw errorAt(req.src, argsRange(req), 'FROM requires either one or three arguments', 'usage: FROM [--platform=<platform>] <image> [AS <name>]');
  }
  const name = named ? nameArg?.value.toLowerCase() : undefined;
  if (name !== undefined && nameArg !== undefined && !validStageName.test(name)) {
    throw errorAt(
      req.src,
      nameArg.range,
      `invalid name for build stage: "${nameArg.value}", name can't start with a number or contain symbols`,
      'a stage name starts with a letter and holds only letters, digits, "-", "_" and "."',
    );
  }
  const flags = parseFlags('FROM', req.node.flags, fromFlags, req.src);
  return {
    ...commandBase(req, flags),
    kind: 'from',
    baseName: base.value,
    baseRange: base.range,
    name,
    nameRange: named ? nameArg?.range : undefined,
    asKeyword: named ? as.value : undefined,
    platform: flags.string('platform'),
    docComment: docComment(req.node.prevComment, name),
  };
}

/** The comment line that starts with `name ` describes it (BuildKit's getDocComment). */
export function docComment(comments: readonly string[], name: string | undefined): string {
  if (name === undefined || name === '') return '';
  const prefix = `${name} `;
  const line = comments.find((c) => c.startsWith(prefix));
  return line === undefined ? '' : line.slice(prefix.length);
}
