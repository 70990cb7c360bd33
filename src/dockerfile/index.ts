// The Dockerfile frontend's import surface: parse, expand, plan and check a Dockerfile.
export type * from './ast.js';
export { parseDockerfile } from './parser.js';
export { dumpBuildkit, dumpJSON } from './dump.js';
export { ShellLex, ExpansionError, type Env, type WordResult, type LexOptions } from './words.js';
export {
  parseIgnoreFile, loadIgnoreFile, walkContext, PatternMatcher,
  type IgnorePattern, type IgnoreFile, type WalkOptions,
} from './ignore.js';
export * from './instructions/index.js';
export * from './checks/index.js';
export { convertDockerfile, type Conversion, type ConvertOptions, type ResolvedImage } from './convert/index.js';
