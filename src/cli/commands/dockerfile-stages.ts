import { parseDockerfile, planBuild, summarizePlan, type PlanSummary } from '../../dockerfile/index.js';
import { parseBuildArgs } from '../flags.js';
import { readInputFile } from '../input.js';
import { formatTable } from '../table.js';
import type { StagesFlags } from './dockerfile.js';

export async function runStages(file: string, opts: StagesFlags): Promise<void> {
  const input = await readInputFile(file);
  const ast = parseDockerfile(input.text, { file: input.name });
  const plan = planBuild(ast, { target: opts.target, buildArgs: parseBuildArgs(opts.buildArg), platform: opts.platform });
  const summary = summarizePlan(plan);
  process.stdout.write(opts.format === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
  for (const warning of summary.warnings) process.stderr.write(`WARNING: ${warning}\n`);
}

function renderSummary(summary: PlanSummary): string {
  const rows = summary.stages.map((s) => [
    String(s.index),
    s.name ?? '-',
    s.base,
    s.platform ?? summary.targetPlatform,
    s.dependsOn.join(', ') || '-',
  ]);
  const table = formatTable(['STAGE', 'NAME', 'FROM', 'PLATFORM', 'NEEDS'], rows);
  return `${table}target: ${summary.target} (${summary.targetPlatform})\n`;
}
