// Running the build checks over a Dockerfile (BuildKit's DockerfileLint). The rules that read
// the syntax tree, the stage names and the FROM lines apply to every stage; the rules that
// need the evolving env of a stage apply to the stages a build of the target dispatches,
// which without a target is every stage (as `docker build --check` does).
//
// An invalid Dockerfile is an error, not a warning: the KilnError of the parser or of
// planning propagates with its location.
import type { DockerfileAST, InstructionNode } from '../ast.js';
import { makeLexers, planBuild, redispatch, type BuildPlan, type PlannedStage, type StageDispatch } from '../instructions/index.js';
import { keyValueRules } from './args.js';
import { checkFromAsCasing, checkInstructionCasing, checkStageNameCasing } from './casing.js';
import { checkDefaultBaseNames, checkFromLines, type FromContext } from './from.js';
import { copyIgnoredRules, loadIgnoreRules } from './ignored.js';
import { checkMaintainer, instructionRules } from './instructions.js';
import { Linter, type CheckReport } from './linter.js';
import { fileCheckConfig } from './options.js';
import { NoEmptyContinuation } from './rules.js';
import { checkDefinitionDescription, checkStageNames } from './stages.js';
import { undefinedVarRules } from './undefined.js';
import { walkStages, type StageCheck } from './walk.js';

export interface RunChecksOptions {
  /** Check as a build of this stage would; default: every stage. */
  target?: string;
  buildArgs?: Readonly<Record<string, string>>;
  /** The build context: CopyIgnoredFile runs only when it is given. */
  contextDir?: string;
  /** The Dockerfile's path, for a `<Dockerfile>.dockerignore` next to it; default: none. */
  dockerfilePath?: string;
  /**
   * The env of a stage's base image once resolved. Without it a stage on an image knows
   * only PATH, so UndefinedVar may flag a variable that the image defines.
   */
  imageEnv?: (stage: PlannedStage) => Iterable<readonly [string, string]> | undefined;
}

export async function runChecks(ast: DockerfileAST, options: RunChecksOptions = {}): Promise<CheckReport> {
  const buildArgs = options.buildArgs ?? {};
  const lint = new Linter(ast.file, fileCheckConfig(ast, buildArgs));
  // The build-args come resolved (`--build-arg NAME` already read from the environment).
  const plan = planBuild(ast, { target: options.target, buildArgs, allStages: options.target === undefined, env: {} });
  const { parsed } = plan;
  checkSyntax(ast, lint);
  checkStageNames(parsed.stages, lint);
  checkInstructionCasing(ast.instructions, lint);
  const fromContext: FromContext = { plan, lex: makeLexers(ast.escapeToken).word, targetStage: options.target ?? plan.target.name ?? '' };
  checkDefaultBaseNames(parsed, fromContext, lint);
  checkFromLines(parsed.stages, fromContext, lint);
  const ignore = options.contextDir === undefined ? undefined : await loadIgnoreRules(options.contextDir, options.dockerfilePath ?? '-');
  const checks: StageCheck[] = [undefinedVarRules, instructionRules, keyValueRules, ...(ignore === undefined ? [] : [copyIgnoredRules(ignore)])];
  walkStages(plan, dispatches(plan, options.imageEnv), checks, lint);
  return lint.finish();
}

// The rules BuildKit applies while parsing each instruction, and the parser's own warnings.
function checkSyntax(ast: DockerfileAST, lint: Linter): void {
  for (const warning of ast.warnings) {
    if (warning.rule !== NoEmptyContinuation.name) continue;
    const node = instructionAt(ast.instructions, warning.range.start.line);
    lint.report(NoEmptyContinuation, NoEmptyContinuation.format(), { range: warning.range, comments: node?.prevComment ?? [] });
  }
  for (const node of ast.instructions) {
    checkMaintainer(node, lint);
    checkStageNameCasing(node, lint);
    checkFromAsCasing(node, lint);
    checkDefinitionDescription(node, lint);
  }
}

function instructionAt(nodes: readonly InstructionNode[], line: number): InstructionNode | undefined {
  return nodes.find((n) => n.range.start.line <= line && line <= n.range.end.line);
}

function dispatches(plan: BuildPlan, imageEnv: RunChecksOptions['imageEnv']): ReadonlyMap<number, StageDispatch> {
  if (imageEnv !== undefined) return redispatch(plan, imageEnv);
  return new Map(plan.stages.map((s) => [s.index, s.dispatch]));
}
