// Small build contexts for the contenthash tests: files written from a path -> content map.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function writeTree(dir: string, files: Record<string, string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** Lets file times fall behind the stat cache's racy window, so fresh files can be cached. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 120));
}
