// The targets of one build (`--target a --target b`): the stages a monorepo's images come from,
// built together from one parse of the Dockerfile, one read of the context and one solve, so
// the stages they share run once. With several targets each image is named by a tag of the
// form TARGET=NAME; with one (or none: the last stage) every tag names it, as docker's do.
import type { BuildOutput } from '../../api/build-output.js';
import { formatReference, parseNormalizedReference, withDefaultTag } from '../../registry/reference.js';
import { KilnError } from '../../util/errors.js';
import { planOutput, type OutputPlan } from './outputs.js';

export interface TargetPlan {
  /** The stage; undefined for the Dockerfile's last. */
  target: string | undefined;
  /** Normalized names for its image. */
  names: string[];
  output: OutputPlan;
}

/** A tag, checked before anything is built: a bad one fails fast. */
function tagName(tag: string): string {
  const ref = parseNormalizedReference(tag);
  if (ref.digest !== undefined) throw new KilnError('INVALID_ARGUMENT', `invalid tag ${tag}: a tag cannot carry a digest`, { details: { flag: '--tag' } });
  return formatReference(withDefaultTag(ref));
}

/** The targets asked for, each once, in order; [undefined] for the last stage. */
function targetList(target: string | undefined, targets: readonly string[] | undefined): (string | undefined)[] {
  const all = [...(target === undefined ? [] : [target]), ...(targets ?? [])];
  return all.length === 0 ? [undefined] : [...new Set(all)];
}

/** Each target's tags: all of them for a single target, `TARGET=NAME` ones for several. */
function tagsByTarget(tags: readonly string[], targets: readonly (string | undefined)[]): Map<string | undefined, string[]> {
  const byTarget = new Map(targets.map((target) => [target, [] as string[]]));
  for (const tag of tags) {
    const eq = tag.indexOf('=');
    const target = eq > 0 ? tag.slice(0, eq) : undefined;
    // One target takes plain tags too; `=` is in no reference, so TARGET=NAME is never a name.
    if (targets.length === 1 && (target === undefined || target !== targets[0])) {
      byTarget.get(targets[0])?.push(tagName(tag));
      continue;
    }
    const names = target === undefined ? undefined : byTarget.get(target);
    if (names === undefined) {
      throw new KilnError('INVALID_ARGUMENT', `invalid tag ${tag}: with several targets, name each image as TARGET=NAME, where TARGET is one of ${targets.join(', ')}`, { details: { flag: '--tag' } });
    }
    names.push(tagName(tag.slice(eq + 1)));
  }
  return byTarget;
}

/** The build's targets with their names and outputs, checked before anything is built. */
export function planTargets(options: { target?: string; targets?: string[]; tags?: string[]; outputs?: BuildOutput[] }): TargetPlan[] {
  const targets = targetList(options.target, options.targets);
  const tags = tagsByTarget(options.tags ?? [], targets);
  if (targets.length > 1 && (options.outputs ?? []).some((output) => output.type !== 'image' || output.names.length > 0)) {
    throw new KilnError('INVALID_ARGUMENT', '--output: several targets go to the image store or a registry, named by -t TARGET=NAME; build them one by one to write files', { details: { flag: '--output' } });
  }
  return targets.map((target) => {
    const names = tags.get(target) ?? [];
    return { target, names, output: planOutput(names, options.outputs) };
  });
}
