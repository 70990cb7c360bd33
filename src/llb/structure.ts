// The rules that tie an op's indices to its vertex: mounts and file actions read existing
// inputs, file actions only read results of earlier actions, and outputs are numbered 0..n-1
// exactly once, so that an input reference `{ digest, index }` names one result unambiguously.
import { ShapeError } from './fields.js';
import type { ExecOp, FileOp, Op } from './ops.js';

/** Throws ShapeError when `op` cannot be the op of a vertex with `inputCount` inputs. */
export function checkOpStructure(op: Op, inputCount: number): void {
  switch (op.type) {
    case 'source':
      if (inputCount !== 0) throw new ShapeError(`a source op takes no inputs, this one has ${inputCount}`);
      return;
    case 'merge':
      if (inputCount === 0) throw new ShapeError('a merge op needs at least one input');
      return;
    case 'exec':
      return checkExec(op, inputCount);
    case 'file':
      return checkFile(op, inputCount);
  }
}

function checkExec(op: ExecOp, inputCount: number): void {
  if (op.meta.args.length === 0) throw new ShapeError('op.meta.args is empty: an exec op needs a command');
  const dests = new Set<string>();
  op.mounts.forEach((mount, i) => {
    const where = `op.mounts[${i}]`;
    if (dests.has(mount.dest)) throw new ShapeError(`${where}: a second mount at ${JSON.stringify(mount.dest)}`);
    dests.add(mount.dest);
    checkIndex(mount.input, inputCount, `${where}.input`, 'the vertex has');
    if (mount.output !== null && (mount.kind !== 'bind' || mount.readonly)) {
      throw new ShapeError(`${where}.output: only a writable bind mount has an output`);
    }
    if (mount.input !== null && (mount.kind === 'tmpfs' || mount.kind === 'secret' || mount.kind === 'ssh')) {
      throw new ShapeError(`${where}.input: a ${mount.kind} mount reads no input`);
    }
  });
  const root = op.mounts.find((m) => m.dest === '/');
  if (root === undefined || root.kind !== 'bind') throw new ShapeError('op.mounts has no bind mount at "/" (the root filesystem)');
  checkOutputs(op.mounts.map((m) => m.output), 'op.mounts');
}

function checkFile(op: FileOp, inputCount: number): void {
  if (op.actions.length === 0) throw new ShapeError('op.actions is empty: a file op needs an action');
  op.actions.forEach((action, i) => {
    const where = `op.actions[${i}]`;
    // Indices from inputCount on name the results of actions 0..i-1: never this one or a later one.
    const limit = inputCount + i;
    const reach = `the vertex has ${inputCount} input(s) and ${i} earlier action(s), so the limit is`;
    checkIndex(action.input, limit, `${where}.input`, reach);
    checkIndex(action.secondaryInput, limit, `${where}.secondaryInput`, reach);
    if (action.kind !== 'copy' && action.secondaryInput !== null) {
      throw new ShapeError(`${where}.secondaryInput: only a copy reads a second tree`);
    }
  });
  checkOutputs(op.actions.map((a) => a.output), 'op.actions');
}

function checkIndex(index: number | null, limit: number, where: string, reach: string): void {
  if (index !== null && index >= limit) throw new ShapeError(`${where} is ${index}, but ${reach} ${limit}`);
}

/** Outputs must be 0..n-1, each once, and there must be at least one. */
function checkOutputs(outputs: (number | null)[], where: string): void {
  const used = outputs.filter((o): o is number => o !== null).sort((a, b) => a - b);
  if (used.length === 0) throw new ShapeError(`${where}: no entry has an output, so the op produces nothing`);
  used.forEach((output, expected) => {
    if (output !== expected) {
      throw new ShapeError(`${where}: output indices must be 0..${used.length - 1} each used once, found ${used.join(', ')}`);
    }
  });
}
