// Building file ops from a chain of actions (llb.Copy(...).Mkdir(...)): each action works on the
// previous action's result, the first on the State the chain is applied to, and only the last
// result becomes the op's output. One op for a whole chain keeps a COPY of many sources one step.
import { KilnError } from '../util/errors.js';
import { InputList, OpNode, resolvePath, type NodeOutput, type StateProps } from './node.js';
import type { CopyAction, FileAction, FileOwner, MkdirAction, MkfileAction, RmAction, SymlinkAction, Timestamp } from './ops.js';

/** A tree a copy reads from, with the working directory its relative paths start at (a State). */
export interface CopySource {
  readonly output: NodeOutput | null;
  readonly props: StateProps;
}

/** Flags of a copy; every boolean defaults to false and the pattern lists to empty. */
export type CopyOptions = Partial<Omit<CopyAction, 'kind' | 'src' | 'dest' | 'input' | 'secondaryInput' | 'output'>>;
export interface MkdirOptions { makeParents?: boolean; owner?: FileOwner; timestamp?: Timestamp }
export interface MkfileOptions { owner?: FileOwner; timestamp?: Timestamp }
export interface RmOptions { allowNotFound?: boolean; allowWildcard?: boolean }
export interface SymlinkOptions { owner?: FileOwner; timestamp?: Timestamp }

/** An action without its indices (distributes over the union, as Omit alone does not). */
type Payload<A extends FileAction> = A extends FileAction ? Omit<A, 'input' | 'secondaryInput' | 'output'> : never;
type Step =
  | { action: Payload<CopyAction>; source: CopySource }
  | { action: Payload<MkfileAction> | Payload<MkdirAction> | Payload<RmAction> | Payload<SymlinkAction>; source?: undefined };

/**
 * An immutable list of file actions; each method returns a longer chain. Paths are resolved when
 * the chain is applied (State.file): relative destinations against the target State's working
 * directory, relative copy sources against the source State's. A destination's trailing slash is
 * kept, because "copy into this directory" depends on it.
 */
export class FileChain {
  private constructor(readonly steps: readonly Step[]) {}

  static empty(): FileChain {
    return new FileChain([]);
  }

  copy(from: CopySource, src: string, dest: string, options: CopyOptions = {}): FileChain {
    const action: Payload<CopyAction> = {
      kind: 'copy', src, dest,
      followSymlinks: false, dirContentsOnly: false, attemptUnpack: false, createDestPath: false,
      allowWildcard: false, allowEmptyWildcard: false, includePatterns: [], excludePatterns: [],
      ...withoutUndefined(options),
    };
    return this.#with({ action, source: from });
  }

  mkdir(path: string, mode: number, options: MkdirOptions = {}): FileChain {
    return this.#with({ action: { kind: 'mkdir', path, mode, makeParents: false, ...withoutUndefined(options) } });
  }

  mkfile(path: string, mode: number, data: string, options: MkfileOptions = {}): FileChain {
    return this.#with({ action: { kind: 'mkfile', path, mode, data, ...withoutUndefined(options) } });
  }

  rm(path: string, options: RmOptions = {}): FileChain {
    return this.#with({ action: { kind: 'rm', path, allowNotFound: false, allowWildcard: false, ...withoutUndefined(options) } });
  }

  symlink(oldpath: string, newpath: string, options: SymlinkOptions = {}): FileChain {
    return this.#with({ action: { kind: 'symlink', oldpath, newpath, ...withoutUndefined(options) } });
  }

  #with(step: Step): FileChain {
    return new FileChain([...this.steps, step]);
  }
}

/** A new, empty chain: `fileActions().mkdir(...).copy(...)`. */
export function fileActions(): FileChain {
  return FileChain.empty();
}

/** The file op applying `chain` to the tree `target` (null: the empty filesystem). */
export function buildFile(target: NodeOutput | null, props: StateProps, chain: FileChain): OpNode {
  if (chain.steps.length === 0) throw new KilnError('INVALID_ARGUMENT', 'a file op needs at least one action');
  const inputs = new InputList();
  // Inputs first (the target, then each copy source), so that action results can be numbered after them.
  const first = inputs.add(target);
  const sources = chain.steps.map((step) => (step.source === undefined ? null : inputs.add(step.source.output)));
  const base = inputs.outputs.length;
  const last = chain.steps.length - 1;
  const actions = chain.steps.map((step, i): FileAction => {
    const io = {
      input: i === 0 ? first : base + i - 1,
      secondaryInput: sources[i] ?? null,
      output: i === last ? 0 : null,
    };
    return { ...resolveAction(step, props.cwd), ...io };
  });
  return new OpNode({ type: 'file', actions }, inputs.outputs, props.platform);
}

function resolveAction(step: Step, cwd: string): Payload<FileAction> {
  const { action } = step;
  switch (action.kind) {
    case 'copy':
      return {
        ...action,
        // A wildcard source is matched later; resolving only joins it to the source's directory.
        src: resolvePath(step.source?.props.cwd ?? '/', action.src),
        dest: resolvePath(cwd, action.dest, true),
      };
    case 'mkfile':
    case 'mkdir':
    case 'rm':
      return { ...action, path: resolvePath(cwd, action.path) };
    case 'symlink':
      return { ...action, newpath: resolvePath(cwd, action.newpath) };
  }
}

/** Options objects may carry explicit undefineds; they must not overwrite the defaults. */
function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}
