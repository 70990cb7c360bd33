// Reading one extended attribute in tests, with getfattr (Node has no getxattr).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export async function getfattr(path: string, name: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('getfattr', ['-h', '--only-values', '-n', name, '--', path]);
    return stdout;
  } catch {
    return undefined;
  }
}
