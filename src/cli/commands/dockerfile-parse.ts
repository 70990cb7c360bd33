import { parseDockerfile, dumpBuildkit, dumpJSON } from '../../dockerfile/index.js';
import { readInputFile } from '../input.js';

export async function runParse(file: string, opts: { format: 'json' | 'buildkit-dump' }): Promise<void> {
  const input = await readInputFile(file);
  const ast = parseDockerfile(input.text, { file: input.name });
  const out = opts.format === 'buildkit-dump' ? dumpBuildkit(ast) : `${JSON.stringify(dumpJSON(ast), null, 2)}\n`;
  process.stdout.write(out);
}
