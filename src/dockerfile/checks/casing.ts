// Casing rules, decided from the syntax tree alone: StageNameCasing, FromAsCasing
// (instructions/parse.go) and ConsistentInstructionCasing (dockerfile2llb/validations.go).
import type { InstructionNode } from '../ast.js';
import type { Linter } from './linter.js';
import { ConsistentInstructionCasing, FromAsCasing, StageNameCasing } from './rules.js';

const site = (node: InstructionNode): { range: InstructionNode['range']; comments: string[] } => ({ range: node.range, comments: node.prevComment });

const isLower = (s: string): boolean => s === s.toLowerCase();
const isUpper = (s: string): boolean => s === s.toUpperCase();

/** `FROM image AS Name`: the name is used lower-cased, so writing it otherwise misleads. */
export function checkStageNameCasing(node: InstructionNode, lint: Linter): void {
  const name = node.name === 'from' && node.args.length === 3 ? node.args[2] : undefined;
  if (name === undefined || isLower(name.value)) return;
  lint.report(StageNameCasing, StageNameCasing.format(name.value), { range: name.range, comments: node.prevComment });
}

/**
 * `FROM x as y` / `from x AS y`. A keyword of mixed case (`From`) is left to
 * ConsistentInstructionCasing, so it does not draw a second warning here.
 */
export function checkFromAsCasing(node: InstructionNode, lint: Linter): void {
  const as = node.name === 'from' && node.args.length >= 3 ? node.args[1]?.value : undefined;
  if (as === undefined) return;
  const from = node.keyword;
  const matches = isLower(from) ? isLower(as) : isUpper(from) ? isUpper(as) : true;
  if (!matches) lint.report(FromAsCasing, FromAsCasing.format(from, as), site(node));
}

/**
 * Every keyword from the first FROM on (the global ARGs before it are not counted, as in
 * BuildKit) should be all upper-case or all lower-case, whichever most keywords are; a tie
 * counts as upper-case.
 */
export function checkInstructionCasing(nodes: readonly InstructionNode[], lint: Linter): void {
  const first = nodes.findIndex((n) => n.name === 'from');
  const staged = first === -1 ? [] : nodes.slice(first);
  let lower = 0;
  let upper = 0;
  for (const { keyword } of staged) {
    if (isLower(keyword)) lower++;
    else if (isUpper(keyword)) upper++;
  }
  const majority = lower > upper ? 'lowercase' : 'uppercase';
  for (const node of staged) {
    const consistent = majority === 'lowercase' ? isLower(node.keyword) : isUpper(node.keyword);
    if (consistent) continue;
    const message = ConsistentInstructionCasing.format(node.keyword, majority);
    lint.report(ConsistentInstructionCasing, message, { range: node.keywordRange, comments: node.prevComment });
  }
}
