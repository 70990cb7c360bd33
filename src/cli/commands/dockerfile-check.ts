// `kiln dockerfile check`: runs the build checks and prints their warnings, as
// `docker build --check` does. Exits 0 unless the Dockerfile sets `check=error=true` and
// there are warnings; an invalid Dockerfile is reported like any other located error.
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
  if (!report.failed) return 0;
  const err = lintViolationError(report);
  process.stderr.write(`${formatError(err)}\n`);
  return err.exitCode;
}
