// The tree a Docker API build context's tar has written so far, kept in memory: where each
// entry name lands. Names are resolved the way the kernel would resolve them in the extracted
// directory (`..` after a symlink applies to the symlink's target), except that nothing is
// asked of the filesystem: every node there was made by the extraction, so this map knows them
// all. A name that climbs above the root, or goes through a symlink pointing outside (an
// absolute target, or a relative one that climbs out), is refused; the resolved components
// contain no symlink but possibly the last, so joining them onto the context directory names a
// place inside it.
import { KilnError } from '../../util/errors.js';

export type NodeType = 'file' | 'dir' | 'symlink' | 'link';

/** Linux's limit on symlinks followed while resolving one path. */
const maxSymlinkFollows = 40;

export function badContext(message: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `invalid build context: ${message}`, {
    hint: 'send the context as a tar (optionally gzip-compressed), as docker build does',
  });
}

interface ContextNode {
  type: 'file' | 'dir' | 'symlink';
  /** A symlink's target. */
  target?: string;
}

export class ContextPaths {
  /** By slash-joined components; the root ('') is a directory and not listed. */
  readonly #nodes = new Map<string, ContextNode>();

  /** Where `name` lands, as components below the root; [] is the root itself. */
  resolve(name: string): string[] {
    const resolved: string[] = [];
    const pending = name.split('/');
    let follows = 0;
    let through: string | undefined;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (resolved.length === 0) throw escapes(name, through);
        resolved.pop();
        continue;
      }
      const last = pending.every((rest) => rest === '' || rest === '.');
      const key = [...resolved, part].join('/');
      const node = this.#nodes.get(key);
      if (!last && node?.type === 'symlink') {
        const target = node.target ?? '';
        through = key;
        if (target.startsWith('/')) throw escapes(name, through);
        if (++follows > maxSymlinkFollows) throw badContext(`"${name}" goes through too many symlinks`);
        pending.unshift(...target.split('/'));
        continue;
      }
      if (!last && node !== undefined && node.type !== 'dir') throw badContext(`"${name}" is below "${key}", which is not a directory`);
      resolved.push(part);
    }
    return resolved;
  }

  typeOf(components: readonly string[]): ContextNode['type'] | undefined {
    return components.length === 0 ? 'dir' : this.#nodes.get(components.join('/'))?.type;
  }

  symlinkTarget(components: readonly string[]): string | undefined {
    return this.#nodes.get(components.join('/'))?.target;
  }

  /** The parent's components when it is not there yet (resolve() saw that no prefix is a non-directory). */
  missingParents(components: readonly string[]): string[] | undefined {
    const parent = components.slice(0, -1);
    return this.typeOf(parent) === 'dir' ? undefined : parent;
  }

  addParents(components: readonly string[]): void {
    for (let end = 1; end < components.length; end++) {
      const key = components.slice(0, end).join('/');
      if (!this.#nodes.has(key)) this.#nodes.set(key, { type: 'dir' });
    }
  }

  add(components: readonly string[], type: ContextNode['type'], target?: string): void {
    this.#nodes.set(components.join('/'), { type, ...(target === undefined ? {} : { target }) });
  }

  /** Forgets a node and, for a directory, everything below it. */
  remove(components: readonly string[]): void {
    const key = components.join('/');
    this.#nodes.delete(key);
    for (const other of this.#nodes.keys()) if (other.startsWith(`${key}/`)) this.#nodes.delete(other);
  }
}

function escapes(name: string, through: string | undefined): KilnError {
  return badContext(through === undefined
    ? `"${name}" points outside the context`
    : `"${name}" goes through the symlink "${through}", which points outside the context`);
}
