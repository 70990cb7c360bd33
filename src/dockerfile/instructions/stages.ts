// Grouping typed commands into stages (BuildKit's instructions.Parse): each FROM opens a
// stage; ARGs before the first FROM are the global ("meta") args; anything else before the
// first FROM is an error.
import type { DockerfileAST } from '../ast.js';
import { errorAt, sourceOf, type SourceText } from './errors.js';
import { parseInstruction } from './parse.js';
import type { ArgCommand, Stage } from './types.js';

export interface ParsedDockerfile {
  ast: DockerfileAST;
  source: SourceText;
  /** The ARG instructions before the first FROM. */
  metaArgs: ArgCommand[];
  stages: Stage[];
}

export function parseStages(ast: DockerfileAST): ParsedDockerfile {
  const source = sourceOf(ast);
  const metaArgs: ArgCommand[] = [];
  const stages: Stage[] = [];
  for (const node of ast.instructions) {
    const parsed = parseInstruction(node, source);
    const current = stages[stages.length - 1];
    if (parsed.kind === 'from') {
      stages.push({ index: stages.length, name: parsed.name, from: parsed, commands: [] });
    } else if (current !== undefined) {
      current.commands.push(parsed);
    } else if (parsed.kind === 'arg') {
      metaArgs.push(parsed);
    } else {
      const message = `${node.keyword} before the first FROM: no build stage in current context`;
      throw errorAt(source, node.keywordRange, message, 'start the build stage with FROM; only ARG may come before the first FROM');
    }
  }
  const first = ast.instructions[0];
  if (stages.length === 0 && first !== undefined) {
    throw errorAt(source, first.keywordRange, 'the Dockerfile contains no stages to build', 'add a FROM instruction, e.g. FROM alpine:3.20');
  }
  return { ast, source, metaArgs, stages };
}

/**
 * Finds a stage by name, case-insensitively, as COPY --from and --target do. With duplicate
 * names the last one wins, as in BuildKit (the DuplicateStageName check reports them).
 */
export function findStageByName(stages: readonly Stage[], name: string): Stage | undefined {
  const wanted = name.toLowerCase();
  return stages.findLast((s) => s.name === wanted);
}
