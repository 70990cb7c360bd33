// The extended attributes of every node under a directory, read by ONE `getfattr -R` (Node has
// no getxattr(2), and a process per file would cost more than the diff itself). Only nodes that
// carry attributes appear in the dump, so the map holds metadata of a few paths, never content.
// Values are dumped base64-encoded (`-e base64`), so binary values such as POSIX ACLs or file
// capabilities arrive byte for byte.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { KilnError } from '../util/errors.js';
import { unquoteGetfattr } from '../snapshot/index.js';

/** Root-relative path (`''` for the root, `a/b` below it) -> attribute name -> raw value. */
export type XattrTree = Map<string, Map<string, Buffer>>;

/** `./a/b` (as dumped when run on `.`) -> `a/b`; `.` -> ``. */
function relative(dumped: string): string {
  return dumped === '.' ? '' : dumped.replace(/^\.\//, '');
}

function decodeValue(raw: string): Buffer {
  if (raw.startsWith('0s')) return Buffer.from(raw.slice(2), 'base64');
  // getfattr prints an empty value as a bare name or `name=""`.
  return Buffer.from(raw.replace(/^"(.*)"$/, '$1'), 'utf8');
}

/** Reads every attribute (all namespaces, symlinks' own) of every node under `dir`. */
export async function readXattrTree(dir: string): Promise<XattrTree> {
  return dumpXattrs(dir, ['-R', '-P', '--', '.']);
}

/** Paths per getfattr run: well inside the kernel's limit on a command line. */
const PATHS_PER_RUN = 512;

/** The attributes of just `paths` (root-relative, `''` for `dir` itself), not of what is below them. */
export async function readXattrsOf(dir: string, paths: string[]): Promise<XattrTree> {
  const tree: XattrTree = new Map();
  for (let at = 0; at < paths.length; at += PATHS_PER_RUN) {
    const batch = paths.slice(at, at + PATHS_PER_RUN).map((path) => (path === '' ? '.' : `./${path}`));
    for (const [path, attrs] of await dumpXattrs(dir, ['--', ...batch])) tree.set(path, attrs);
  }
  return tree;
}

async function dumpXattrs(dir: string, args: string[]): Promise<XattrTree> {
  const child = spawn('getfattr', ['-h', '-d', '-m', '-', '-e', 'base64', ...args], {
    cwd: dir,
    env: { ...process.env, LC_ALL: 'C', LANGUAGE: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null | Error>((resolve) => {
    child.on('error', resolve);
    child.on('close', (code) => resolve(code));
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const tree: XattrTree = new Map();
  let current: Map<string, Buffer> | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('# file: ')) {
      current = new Map();
      tree.set(relative(unquoteGetfattr(line.slice('# file: '.length))), current);
    } else if (line !== '' && current !== undefined) {
      const equals = line.indexOf('=');
      const name = unquoteGetfattr(equals < 0 ? line : line.slice(0, equals));
      current.set(name, decodeValue(equals < 0 ? '' : line.slice(equals + 1)));
    }
  }
  const code = await exited;
  if (code instanceof Error) {
    throw new KilnError('FAILED_PRECONDITION', `running getfattr failed: ${code.message}`, {
      hint: 'computing a layer diff needs getfattr (Debian package attr)',
      cause: code,
    });
  }
  if (code !== 0) throw new KilnError('INTERNAL', `getfattr on ${dir} exited with status ${code}: ${stderr.trim()}`);
  return tree;
}

/** Attributes that belong in a layer: all but overlayfs's own bookkeeping (trusted.overlay.*). */
export function layerXattrs(tree: XattrTree, path: string): Array<[string, Buffer]> {
  const own = tree.get(path);
  if (own === undefined) return [];
  return [...own].filter(([name]) => !name.startsWith('trusted.overlay.')).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function sameXattrs(a: Array<[string, Buffer]>, b: Array<[string, Buffer]>): boolean {
  return a.length === b.length && a.every(([name, value], i) => b[i]?.[0] === name && b[i]?.[1].equals(value) === true);
}
