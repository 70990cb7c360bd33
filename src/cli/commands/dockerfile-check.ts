// `kiln dockerfile check`: runs the build checks and prints their warnings, as
// `docker build --check` does, with its exit status: 1 when any warning was found (BuildKit's
// lint result carries status 1 then), 0 for a clean file. With `check=error=true` the
// violation is also reported on stderr, as the build itself would fail with it; an invalid
// Dockerfile is reported like any other located error.
import { formatCheckReport, lintViolationError, parseDockerfile, runChecks } from '../../dockerfile/index.js';
import { formatError } from '../../util/format-error.js';
import { parseBuildArgs } from '../flags.js';
import { readInputFile } from '../input.js';

export interface CheckFlags {
  target?: string;
  buildArg: string[];
  /** The build context directory; CopyIgnoredFile needs its .dockerignore. */
  context?: string;
}

export async function runCheck(file: string, opts: CheckFlags): Promise<number> {
  const input = await readInputFile(file);
  const ast = parseDockerfile(input.text, { file: input.name });
  const report = await runChecks(ast, {
    target: opts.target,
    buildArgs: parseBuildArgs(opts.buildArg),
    contextDir: opts.context,
    dockerfilePath: file,
  });
  process.stdout.write(formatCheckReport(report, ast));
  if (report.failed) process.stderr.write(`${formatError(lintViolationError(report))}\n`);
  return report.warnings.length > 0 ? 1 : 0;
}
