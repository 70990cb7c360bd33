// Rules about what stages and ARGs are called and described: DuplicateStageName,
// ReservedStageName (dockerfile2llb/validations.go) and the experimental
// InvalidDefinitionDescription (instructions/parse.go).
import type { InstructionNode } from '../ast.js';
import type { Stage } from '../instructions/index.js';
import type { Linter } from './linter.js';
import { DuplicateStageName, InvalidDefinitionDescription, ReservedStageName } from './rules.js';

// `FROM scratch` and `COPY --from=context` would never reach a stage of these names.
const reservedStageNames: ReadonlySet<string> = new Set(['context', 'scratch']);

export function checkStageNames(stages: readonly Stage[], lint: Linter): void {
  const seen = new Set<string>();
  for (const { name, from } of stages) {
    if (name === undefined) continue;
    const site = { range: from.nameRange ?? from.range, comments: from.comments };
    if (reservedStageNames.has(name)) lint.report(ReservedStageName, ReservedStageName.format(name), site);
    if (seen.has(name)) lint.report(DuplicateStageName, DuplicateStageName.format(name), site);
    seen.add(name);
  }
}

/**
 * A comment right above `FROM ... AS name` or `ARG name` is the stage's or argument's
 * description (shown by `outline` and `targets`) when its last line starts with the name;
 * any other comment there is probably not meant as one.
 */
export function checkDefinitionDescription(node: InstructionNode, lint: Linter): void {
  const defined = definedNames(node);
  const last = node.prevComment[node.prevComment.length - 1];
  if (defined === undefined || defined.names.length === 0 || last === undefined) return;
  if (defined.names.includes(last.split(' ')[0] ?? '')) return;
  const example = defined.names.length === 1 ? (defined.names[0] ?? '') : '<arg_key>';
  lint.report(InvalidDefinitionDescription, InvalidDefinitionDescription.format(defined.instruction, example), { range: node.range, comments: node.prevComment });
}

function definedNames(node: InstructionNode): { instruction: 'FROM' | 'ARG'; names: string[] } | undefined {
  if (node.name === 'from') {
    const name = node.args.length === 3 ? node.args[2]?.value.toLowerCase() : undefined;
    return { instruction: 'FROM', names: name === undefined ? [] : [name] };
  }
  if (node.name === 'arg') return { instruction: 'ARG', names: node.args.map((a) => a.value.split('=')[0] ?? '') };
  return undefined;
}
