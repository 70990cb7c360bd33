// Why a step was not cached (issue 5): its key now against what the key was made of the last
// time the same step was built, the first difference named in user words. The step's own
// facets come first (the instruction, the command, an ARG), then its inputs in order (a file
// it copies, the step before it), then what no facet names. Only names and public digests are
// ever printed: facet values of ARGs and ENVs are hashes and stay in the record.
import type { Digest } from '../content/index.js';
import { contentChange } from './explain-content.js';
import type { InputRecord, StepRecord } from './step-records.js';
import type { KeyFacet } from './types.js';

export interface Explanation {
  reason: string;
  /** The vertex whose change made this one miss (an input that ran again). */
  causedBy?: Digest;
}

/** An input of the step as this solve saw it. */
export interface InputView {
  digest: Digest;
  name: string;
  /** It ran in this solve (it was not cached itself). */
  ran: boolean;
}

export const noCacheReason = '--no-cache';

function facetChange(before: readonly KeyFacet[], after: readonly KeyFacet[]): string | undefined {
  const old = new Map(before.map((facet) => [facet.name, facet]));
  for (const facet of after) {
    const was = old.get(facet.name);
    if (was === undefined) return `${facet.name} added`;
    if (was.value !== facet.value) return facet.shown === true ? `${facet.name} changed (${was.value} -> ${facet.value})` : `${facet.name} changed`;
  }
  const now = new Set(after.map((facet) => facet.name));
  const gone = before.find((facet) => !now.has(facet.name));
  return gone === undefined ? undefined : `${gone.name} removed`;
}

function inputChange(at: number, before: InputRecord, after: InputRecord, view: InputView | undefined): Explanation | undefined {
  if (before.key === after.key && before.content === after.content) return undefined;
  if (after.content && before.content) {
    const files = before.entries === undefined || after.entries === undefined ? undefined : contentChange(before.entries, after.entries);
    return { reason: files ?? 'the files it reads changed' };
  }
  const which = at === 0 ? 'the previous step' : `the step it reads (${view?.name ?? `input ${at}`})`;
  const caused = view === undefined ? {} : { causedBy: view.digest };
  return { reason: `${which} ${view?.ran === true ? 'was not cached' : 'changed'}`, ...caused };
}

/** The first difference between the last build of a step and this one, which missed. */
export function explainMiss(previous: StepRecord | undefined, current: StepRecord, inputs: readonly InputView[]): Explanation {
  if (previous === undefined) return { reason: 'no earlier build of this step' };
  if (previous.key === current.key) return { reason: 'the cache entry was pruned' };
  const own = facetChange(previous.facets, current.facets);
  if (own !== undefined) return { reason: own };
  for (const [at, input] of current.inputs.entries()) {
    const before = previous.inputs[at];
    if (before === undefined) return { reason: 'an input was added' };
    const change = inputChange(at, before, input, inputs[at]);
    if (change !== undefined) return change;
  }
  if (previous.inputs.length > current.inputs.length) return { reason: 'an input was removed' };
  return { reason: previous.op === current.op ? 'the cache key changed' : 'the step\'s definition changed' };
}
