// `--target`: the stage a build produces; by default the last stage of the file. Stages are
// looked up by name only, case-insensitively (BuildKit's resolveTarget).
import { KilnError } from '../../util/errors.js';
import { stageNamesHint } from './deps.js';
import { findStageByName } from './stages.js';
import { didYouMean, joinHints } from './suggest.js';
import type { Stage } from './types.js';

export function chooseTarget(stages: readonly Stage[], target: string | undefined): Stage {
  const last = stages[stages.length - 1];
  if (last === undefined) throw new KilnError('INVALID_ARGUMENT', 'the Dockerfile contains no stages to build');
  if (target === undefined || target === '') return last;
  const found = findStageByName(stages, target);
  if (found !== undefined) return found;
  const names = stages.flatMap((s) => (s.name === undefined ? [] : [s.name]));
  throw new KilnError('INVALID_ARGUMENT', `target stage "${target}" could not be found`, {
    hint: joinHints(didYouMean(target, names, false), stageNamesHint(stages)),
    details: { flag: '--target' },
  });
}
