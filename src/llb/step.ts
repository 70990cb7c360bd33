// Which Dockerfile step a vertex is, across builds, as a description entry (outside the digest,
// like BuildKit's OpMetadata): the solver files what a step's key was made of under this
// identity, so the next build of the same step can say why it missed even though its key, and
// so its digest, changed. The entry is JSON; a malformed one is no identity, since
// descriptions are free-form and only advisory.
import { descriptionObject } from './description.js';
import type { VertexMetadata } from './ops.js';

export const stepDescriptionKey = 'kiln.step';

export interface StepDescription {
  /** Stable across builds of the same Dockerfile step (see the converter for its parts). */
  id: string;
  /** The instruction's keyword (`RUN`, `COPY`, `FROM`...). */
  instruction: string;
  /** Names of the process env entries that are build ARGs rather than ENVs (RUN only). */
  args?: string[];
}

export function stepDescription(step: StepDescription): Record<string, string> {
  return { [stepDescriptionKey]: JSON.stringify(step) };
}

/** The step a vertex's metadata names, if any. */
export function stepDescriptionOf(metadata: VertexMetadata | undefined): StepDescription | undefined {
  const value = descriptionObject(metadata, stepDescriptionKey);
  if (value === undefined) return undefined;
  const { id, instruction, args } = value;
  if (typeof id !== 'string' || typeof instruction !== 'string') return undefined;
  const names = Array.isArray(args) ? args.filter((arg): arg is string => typeof arg === 'string') : undefined;
  return { id, instruction, ...(names === undefined ? {} : { args: names }) };
}
