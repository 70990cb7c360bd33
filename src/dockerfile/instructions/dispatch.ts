// Walking a stage's commands with the evolving env: the one place where ARG and ENV scoping
// lives (BuildKit's dispatch, dispatchArg, dispatchEnv). The LLB converter and the build
// checks both walk stages through here, so they agree on what every variable means.
//
// Scoping rules: a stage starts with its base image's env (or its parent stage's final env
// and ARGs); ENV sets variables for the following instructions (all pairs of one ENV see the
// env from before it); ARG declares a build argument whose value is the build-arg, else its
// default expanded with the current env, else (with no default) the global ARG or predefined
// arg of that name; a declared ARG with a value is in the env of the following instructions.
import { KilnError } from '../../util/errors.js';
import type { Env } from '../words.js';
import { nonEnvArgNames } from './args.js';
import { checkCopyValues } from './copy.js';
import { errorAt, type SourceText } from './errors.js';
import { expandCommand, WordExpander, type ExpansionRecord, type Lexers } from './expand.js';
import { resolveMount } from './mounts.js';
import { parsePorts, PortError } from './ports.js';
import { parseSignal, signalNames } from './signals.js';
import { didYouMean, joinHints } from './suggest.js';
import type { ArgCommand, ArgDeclaration, Command, Mount, Stage } from './types.js';

/** An ARG seen in the stage so far; `value` undefined when it has none. */
export interface DeclaredArg {
  key: string;
  value: string | undefined;
}

/** The variables in effect at one point of a stage. */
export interface StageScope {
  /** ENV and ARG values, as the next instruction sees them. */
  env: Env;
  /** The ARGs declared so far (a declared name is never "undefined", even without value). */
  args: readonly DeclaredArg[];
  /**
   * False while the base image's env is unknown (planning before images are resolved): the
   * env may then lack variables the image defines, so results that depend on them are
   * provisional and their errors are left to the dispatch with the image's env.
   */
  complete: boolean;
  /** In an incomplete scope, the ENV/ARG names whose values came from provisional expansions. */
  uncertain: ReadonlySet<string>;
}

export interface DispatchContext {
  source: SourceText;
  lexers: Lexers;
  /** Global ARGs and predefined args: what `ARG NAME` without default picks up. */
  globalArgs: Env;
  buildArgs: ReadonlyMap<string, string>;
}

export interface DispatchStep {
  /** The command as written. */
  parsed: Command;
  /** The command with its words expanded (ARG: with the effective values). */
  command: Command;
  before: StageScope;
  after: StageScope;
  expansions: ExpansionRecord[];
  /** RUN's mounts, expanded and validated; empty for other commands. */
  mounts: Mount[];
  /**
   * True when the scope was incomplete and the command used variables it does not define:
   * the expanded values may change once the image's env is known, and value checks that
   * failed were deferred (mounts are then empty).
   */
  provisional: boolean;
}

export interface StageDispatch {
  steps: DispatchStep[];
  /** The scope after the last command: what a stage built FROM this one starts with. */
  final: StageScope;
}

/** BuildKit sets PATH when the base image has none (never on Windows). */
export const defaultPathEnv = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The scope a stage on an image starts with: the image's env, plus PATH if it lacks one.
 * Without `imageEnv` (image not resolved yet) the scope is incomplete; scratch is `[]`.
 */
export function imageScope(imageEnv: Iterable<readonly [string, string]> | undefined, os = 'linux'): StageScope {
  const env = new Map<string, string>(imageEnv ?? []);
  if (!env.has('PATH') && os !== 'windows') env.set('PATH', defaultPathEnv);
  return { env, args: [], complete: imageEnv !== undefined, uncertain: new Set() };
}

export function dispatchStage(stage: Stage, start: StageScope, ctx: DispatchContext): StageDispatch {
  const steps: DispatchStep[] = [];
  let scope = start;
  for (const cmd of stage.commands) {
    const step = dispatchCommand(cmd, scope, ctx);
    steps.push(step);
    scope = step.after;
  }
  return { steps, final: scope };
}

export function dispatchCommand(cmd: Command, before: StageScope, ctx: DispatchContext): DispatchStep {
  if (cmd.kind === 'arg') {
    const { command, after, expansions, provisional } = dispatchArg(cmd, before, ctx);
    return { parsed: cmd, command, before, after, expansions, mounts: [], provisional };
  }
  const ex = expanderFor(before, ctx, cmd);
  const command = expandCommand(cmd, ex);
  const { mounts, failure } = settle(command, ex, ctx.source);
  if (failure !== undefined && !ex.provisional) throw failure;
  const after = scopeAfter(command, before, ex.provisional);
  return { parsed: cmd, command, before, after, expansions: ex.records, mounts, provisional: ex.provisional };
}

/** The names a step used that no ENV, ARG or base env defines (BuildKit's UndefinedVar input). */
export function undefinedNames(step: DispatchStep): string[] {
  const declared = new Set(step.before.args.map((a) => a.key));
  const names = step.expansions.flatMap((e) => e.unmatched).filter((n) => !declared.has(n) && !nonEnvArgNames.has(n));
  return [...new Set(names)];
}

function expanderFor(scope: StageScope, ctx: DispatchContext, cmd: Command): WordExpander {
  const lenient = scope.complete ? undefined : { uncertain: scope.uncertain };
  return new WordExpander(ctx.lexers, scope.env, ctx.source, cmd.range, lenient);
}

function scopeAfter(command: Command, before: StageScope, provisional: boolean): StageScope {
  if (command.kind !== 'env') return before;
  const env = new Map(before.env);
  const uncertain = new Set(before.uncertain);
  for (const pair of command.env) {
    env.set(pair.key, pair.value);
    if (provisional) uncertain.add(pair.key);
    else uncertain.delete(pair.key);
  }
  return { ...before, env, uncertain };
}

// RUN's mounts and the value checks. A failure is returned rather than thrown so that the
// caller can defer it when the values were provisional.
function settle(command: Command, ex: WordExpander, src: SourceText): { mounts: Mount[]; failure: KilnError | undefined } {
  try {
    const mounts = command.kind === 'run' ? command.mounts.map((m) => resolveMount(m, (w) => ex.word(w), src)) : [];
    checkExpanded(command, src);
    return { mounts, failure: undefined };
  } catch (err) {
    if (!(err instanceof KilnError)) throw err;
    return { mounts: [], failure: err };
  }
}

interface ArgDispatch {
  command: ArgCommand;
  after: StageScope;
  expansions: ExpansionRecord[];
  provisional: boolean;
}

// Each name of one ARG sees the env as updated by the names before it.
function dispatchArg(cmd: ArgCommand, before: StageScope, ctx: DispatchContext): ArgDispatch {
  const scope = { ...before, env: new Map(before.env), args: [...before.args], uncertain: new Set(before.uncertain) };
  const resolved: ArgDeclaration[] = [];
  const expansions: ExpansionRecord[] = [];
  let provisional = false;
  for (const decl of cmd.args) {
    const ex = expanderFor(scope, ctx, cmd);
    const value = argValue(decl, ex, ctx);
    expansions.push(...ex.records);
    provisional ||= ex.provisional;
    if (value !== undefined && !nonEnvArgNames.has(decl.key)) scope.env.set(decl.key, value);
    if (ex.provisional) scope.uncertain.add(decl.key);
    else scope.uncertain.delete(decl.key);
    scope.args.push({ key: decl.key, value });
    resolved.push({ ...decl, value });
  }
  return { command: { ...cmd, args: resolved }, after: scope, expansions, provisional };
}

function argValue(decl: ArgDeclaration, ex: WordExpander, ctx: DispatchContext): string | undefined {
  const given = ctx.buildArgs.get(decl.key);
  if (given !== undefined) return given;
  if (decl.value === undefined) return ctx.globalArgs.get(decl.key);
  // The default is only expanded when no build-arg replaces it, so a broken default that is
  // overridden is not an error (as in BuildKit).
  return ex.word(decl.value);
}

/** What BuildKit checks only once the words are expanded. */
function checkExpanded(cmd: Command, src: SourceText): void {
  switch (cmd.kind) {
    case 'copy':
    case 'add':
      return checkCopyValues(cmd, src);
    case 'stopsignal':
      if (parseSignal(cmd.signal) === undefined) {
        const hint = joinHints(didYouMean(cmd.signal, signalNames, false), 'give a signal name such as SIGTERM or SIGINT, or its number');
        throw errorAt(src, cmd.argsRange, `invalid signal: ${cmd.signal}`, hint);
      }
      return;
    case 'expose':
      try {
        parsePorts(cmd.ports);
      } catch (err) {
        if (err instanceof PortError) throw errorAt(src, cmd.argsRange, err.message, err.hint);
        throw err;
      }
      return;
    case 'volume':
      if (cmd.volumes.some((v) => v === '')) {
        throw errorAt(src, cmd.argsRange, 'VOLUME specified can not be an empty string', 'check the variables the VOLUME path uses');
      }
      return;
    default:
      return;
  }
}
