// The base of a stage: FROM's image word and --platform expanded with the global args, then
// resolved to an earlier stage, `scratch`, or an image reference (BuildKit's
// buildDispatchStates and dispatchStates.addState). Only stages *above* can be a base, so a
// FROM naming a later stage means an image of that name, exactly as in BuildKit.
import type { Env, ShellLex } from '../words.js';
import type { StageDependency } from './deps.js';
import { errorAt, withLocation, type SourceText } from './errors.js';
import type { ExpansionRecord } from './expand.js';
import { parsePlatform, PlatformError, type Platform } from '../../image/index.js';
import { imageReferenceProblem } from './reference.js';
import { didYouMean, joinHints } from './suggest.js';
import type { Stage } from './types.js';

export type StageBase =
  | { kind: 'image'; ref: string }
  | { kind: 'stage'; index: number; name: string }
  | { kind: 'scratch' };

export interface ResolvedBase {
  base: StageBase;
  platform: Platform | undefined;
  baseExpansion: ExpansionRecord;
  platformExpansion: ExpansionRecord | undefined;
  /** The base stage as a dependency, if the base is a stage. */
  deps: StageDependency[];
}

export function resolveBase(stage: Stage, stages: readonly Stage[], globalArgs: Env, lex: ShellLex, src: SourceText): ResolvedBase {
  const { from } = stage;
  const baseExpansion = expandWord(from.baseName, globalArgs, lex, src, stage);
  const name = baseExpansion.result;
  if (name === '') {
    const hint = blankBaseHint(baseExpansion.unmatched);
    throw errorAt(src, from.baseRange, `base name (${from.baseName}) should not be blank`, hint);
  }
  const platformExpansion = from.platform === undefined || from.platform === '' ? undefined : expandWord(from.platform, globalArgs, lex, src, stage);
  const platform = platformExpansion === undefined ? undefined : platformOf(platformExpansion, stage, globalArgs, src);
  const parent = stages.slice(0, stage.index).findLast((s) => s.name === name);
  if (parent !== undefined) {
    const base: StageBase = { kind: 'stage', index: parent.index, name };
    return { base, platform, baseExpansion, platformExpansion, deps: [{ kind: 'stage', index: parent.index, via: 'from', range: from.baseRange }] };
  }
  if (name === 'scratch') return { base: { kind: 'scratch' }, platform, baseExpansion, platformExpansion, deps: [] };
  const problem = imageReferenceProblem(name);
  if (problem !== undefined) {
    const names = stages.slice(0, stage.index).flatMap((s) => (s.name === undefined ? [] : [s.name]));
    const hint = joinHints(didYouMean(name, names, false), 'image names are lower-case, e.g. ubuntu:24.04');
    throw errorAt(src, from.baseRange, `invalid image reference "${name}": ${problem}`, hint);
  }
  return { base: { kind: 'image', ref: name }, platform, baseExpansion, platformExpansion, deps: [] };
}

function expandWord(word: string, env: Env, lex: ShellLex, src: SourceText, stage: Stage): ExpansionRecord {
  try {
    const result = lex.processWord(word, env);
    return { word, result: result.value, matched: [...result.matched], unmatched: [...result.unmatched], range: stage.from.range };
  } catch (err) {
    throw withLocation(err, src, stage.from.range);
  }
}

function platformOf(expansion: ExpansionRecord, stage: Stage, globalArgs: Env, src: SourceText): Platform {
  const range = stage.from.flagRanges['platform'] ?? stage.from.range;
  const suggestion = expansion.unmatched.map((n) => didYouMean(n, [...globalArgs.keys()])).find((h) => h !== undefined);
  if (expansion.result === '') {
    throw errorAt(src, range, `empty platform value from expression ${expansion.word}`, joinHints(suggestion, 'the args it uses have no value'));
  }
  try {
    return parsePlatform(expansion.result);
  } catch (err) {
    if (!(err instanceof PlatformError)) throw err;
    throw errorAt(src, range, `failed to parse platform ${expansion.word}: ${err.message}`, joinHints(suggestion, 'give os/arch[/variant], e.g. linux/amd64'));
  }
}

function blankBaseHint(unmatched: readonly string[]): string | undefined {
  const [first] = unmatched;
  if (first === undefined) return undefined;
  const names = unmatched.join(', ');
  return `${names} ${unmatched.length === 1 ? 'has' : 'have'} no value: give ARG ${first} a default before the first FROM, or pass --build-arg ${first}=<value>`;
}
