// Two renderings of a parsed Dockerfile: BuildKit's `Node.Dump()` s-expressions (byte for
// byte, so the conformance corpus can be checked) and a plain JSON object of the whole AST
// for `kiln dockerfile parse --format json`.
import type { DockerfileAST, Heredoc, InstructionNode } from './ast.js';
import { goQuote, goToLower, goTrimSpace } from './gostring.js';

/** BuildKit's `AST.Dump() + "\n"`: one `(keyword ["flags"] "args"...)` per instruction. */
export function dumpBuildkit(ast: DockerfileAST): string {
  const out = ast.instructions.map((node) => `(${dumpNode(node)})\n`).join('');
  return `${goTrimSpace(out)}\n`;
}

// BuildKit keeps ONBUILD's instruction as the child of its only argument, which dumps as
// `(child)`; flags print like Go's %q of a []string.
function dumpNode(node: InstructionNode): string {
  const parts = [goToLower(node.keyword)];
  if (node.flags.length > 0) parts.push(`[${node.flags.map((flag) => goQuote(flag.text)).join(' ')}]`);
  if (node.child) parts.push(`(${dumpNode(node.child)})`);
  for (const arg of node.args) parts.push(goQuote(arg.value));
  return goTrimSpace(parts.join(' '));
}

/** The AST as plain JSON data (no `lines`; absent optional values are null). */
export function dumpJSON(ast: DockerfileAST): unknown {
  return {
    file: ast.file,
    escapeToken: ast.escapeToken,
    directives: ast.directives.map((d) => ({ name: d.name, value: d.value, range: d.range })),
    startLine: ast.startLine,
    endLine: ast.endLine,
    instructions: ast.instructions.map(nodeJSON),
    warnings: ast.warnings.map((w) => ({ rule: w.rule, message: w.message, range: w.range })),
  };
}

function nodeJSON(node: InstructionNode): unknown {
  return {
    keyword: node.keyword,
    name: node.name,
    range: node.range,
    keywordRange: node.keywordRange,
    flags: node.flags.map((f) => ({ text: f.text, name: f.name, value: f.value ?? null, range: f.range })),
    json: node.json,
    argsText: node.argsText,
    argsRange: node.argsRange,
    args: node.args.map((a) => ({ value: a.value, range: a.range })),
    child: node.child ? nodeJSON(node.child) : null,
    heredocs: node.heredocs.map(heredocJSON),
    original: node.original,
    prevComment: node.prevComment,
  };
}

function heredocJSON(h: Heredoc): unknown {
  return { name: h.name, content: h.content, expand: h.expand, chomp: h.chomp, fileDescriptor: h.fileDescriptor ?? null, range: h.range };
}
