// UndefinedVar: a variable that a command's words use (COPY paths, ENV values, WORKDIR, ...)
// and that no ENV, ARG or base image env defines (BuildKit's reportUnmatchedVariables).
// Shell-form RUN/CMD/ENTRYPOINT bodies are left to the shell and never checked.
import { nonEnvArgNames } from '../instructions/args.js';
import { suggest, type DispatchStep } from '../instructions/index.js';
import { UndefinedVar } from './rules.js';
import type { StageCheck } from './walk.js';

export const undefinedVarRules: StageCheck = (_walk, lint) => (step) => {
  const declared = declaredPerExpansion(step);
  // What the command could have meant: every name set at this point (case matters on Linux).
  const known = [...step.before.env.keys()];
  const reported = new Set<string>();
  step.expansions.forEach((record, i) => {
    for (const name of record.unmatched) {
      if (declared(i).has(name) || nonEnvArgNames.has(name) || reported.has(name)) continue;
      reported.add(name);
      lint.report(UndefinedVar, UndefinedVar.format(name, suggest(name, known)), step.parsed);
    }
  });
};

/**
 * The ARGs declared when each expanded word was read: a declared ARG is never "undefined",
 * even without a value. An ARG line declares its names one by one, so a default sees the
 * names before it (`ARG A B=$A`) but not its own (`ARG A=$A`).
 */
function declaredPerExpansion(step: DispatchStep): (index: number) => ReadonlySet<string> {
  const names = step.before.args.map((a) => a.key);
  const all = new Set([...names, ...step.after.args.map((a) => a.key)]);
  if (step.parsed.kind !== 'arg') return () => all;
  // Defaults are expanded in order, and only those given no build-arg, so each record is
  // matched to the next declaration whose default it is.
  const sets: ReadonlySet<string>[] = [];
  for (const decl of step.parsed.args) {
    if (decl.value !== undefined && step.expansions[sets.length]?.word === decl.value) sets.push(new Set(names));
    names.push(decl.key);
  }
  return (index) => sets[index] ?? all;
}
