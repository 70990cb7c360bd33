// Rules about FROM lines, checked for every stage whatever the target (BuildKit runs them in
// toDispatchState before pruning): UndefinedArgInFrom, InvalidDefaultArgInFrom,
// RedundantTargetPlatform and FromPlatformFlagConstDisallowed.
import { isKilnError } from '../../util/errors.js';
import type { Env, ShellLex } from '../words.js';
import { evaluateMetaArgs, platformArgs } from '../instructions/args.js';
import {
  imageReferenceProblem, parsePlatform, PlatformError, suggest,
  type BuildPlan, type FromInstruction, type ParsedDockerfile, type Stage,
} from '../instructions/index.js';
import type { CheckSite, Linter } from './linter.js';
import { FromPlatformFlagConstDisallowed, InvalidDefaultArgInFrom, RedundantTargetPlatform, UndefinedArgInFrom } from './rules.js';

/** What the FROM checks need to know about the build. */
export interface FromContext {
  plan: BuildPlan;
  lex: ShellLex;
  /** The stage a build of the target ends with, for the TARGETSTAGE arg. */
  targetStage: string;
}

interface Expansion {
  result: string;
  matched: string[];
  unmatched: string[];
}

export function checkFromLines(stages: readonly Stage[], ctx: FromContext, lint: Linter): void {
  const declared = declaredGlobalArgs(ctx.plan);
  for (const { from } of stages) {
    const base = expand(from.baseName, ctx.plan.globalArgs, ctx.lex);
    reportUndeclared(base, declared, { range: from.baseRange, comments: from.comments }, lint);
    if (from.platform !== undefined && from.platform !== '') checkPlatform(from, from.platform, ctx, declared, lint);
  }
}

/**
 * A build that passes no build-args must still have a valid base image: a global ARG used
 * in FROM needs a default that makes a valid reference (BuildKit's
 * validateBaseImagesWithDefaultArgs). Gives up silently when the defaults cannot be
 * evaluated; the build itself reports that.
 */
export function checkDefaultBaseNames(parsed: ParsedDockerfile, ctx: FromContext, lint: Linter): void {
  const { plan } = ctx;
  const predefined = platformArgs(plan.buildPlatform, plan.targetPlatform, ctx.targetStage, plan.buildArgs);
  const env = givingUp(() => evaluateMetaArgs(parsed.metaArgs, predefined, new Map(), ctx.lex, parsed.source).env);
  if (env === undefined) return;
  for (const { from } of parsed.stages) {
    const result = givingUp(() => ctx.lex.processWord(from.baseName, env).value);
    if (result === undefined) return;
    if (imageReferenceProblem(result) === undefined) continue;
    lint.report(InvalidDefaultArgInFrom, InvalidDefaultArgInFrom.format(from.baseName), { range: from.baseRange, comments: from.comments });
  }
}

// An expansion error means the defaults alone do not make a build; the build reports that.
function givingUp<T>(evaluate: () => T): T | undefined {
  try {
    return evaluate();
  } catch (err) {
    if (isKilnError(err)) return undefined;
    throw err;
  }
}

function checkPlatform(from: FromInstruction, platform: string, ctx: FromContext, declared: readonly string[], lint: Linter): void {
  const expansion = expand(platform, ctx.plan.globalArgs, ctx.lex);
  const site = { range: from.flagRanges['platform'] ?? from.range, comments: from.comments };
  reportUndeclared(expansion, declared, site, lint);
  // Only `$TARGETPLATFORM` alone, giving exactly its value, is the default restated.
  const onlyTarget = expansion.matched.length === 1 && expansion.matched[0] === 'TARGETPLATFORM' && expansion.unmatched.length === 0;
  if (onlyTarget && expansion.result === ctx.plan.globalArgs.get('TARGETPLATFORM')) {
    lint.report(RedundantTargetPlatform, RedundantTargetPlatform.format(platform), site);
  }
  if (isConstantPlatformMisuse(expansion, from.name ?? '', ctx)) {
    lint.report(FromPlatformFlagConstDisallowed, FromPlatformFlagConstDisallowed.format(expansion.result), site);
  }
}

// A constant platform pins the stage to one architecture, which is only intended when the
// stage says so in its name (`FROM --platform=linux/arm64 ... AS build-arm64`).
function isConstantPlatformMisuse(expansion: Expansion, stageName: string, ctx: FromContext): boolean {
  if (expansion.matched.length > 0 || expansion.unmatched.length > 0) return false;
  try {
    const p = parsePlatform(expansion.result, ctx.plan.buildPlatform);
    return !stageName.includes(p.os) && !stageName.includes(p.architecture);
  } catch (err) {
    if (err instanceof PlatformError) return false;
    throw err;
  }
}

function reportUndeclared(expansion: Expansion, declared: readonly string[], site: CheckSite, lint: Linter): void {
  for (const name of expansion.unmatched) {
    if (declared.includes(name)) continue;
    lint.report(UndefinedArgInFrom, UndefinedArgInFrom.format(name, suggest(name, declared)), site);
  }
}

// Every global ARG counts as declared, with or without a value, and so does every
// predefined arg.
function declaredGlobalArgs(plan: BuildPlan): string[] {
  return [...new Set([...plan.metaArgs.map((a) => a.key), ...plan.globalArgs.keys()])];
}

function expand(word: string, env: Env, lex: ShellLex): Expansion {
  const { value, matched, unmatched } = lex.processWord(word, env);
  return { result: value, matched: [...matched], unmatched: [...unmatched] };
}
