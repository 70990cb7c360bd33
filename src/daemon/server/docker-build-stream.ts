// kiln's build progress as the classic docker build prints it (engine-api.md §3.3): the text
// is the daemon's, sent as `stream` messages, and the CLI prints it verbatim:
//
//   Step 7/11 : RUN echo hi > /app/greet.txt
//    ---> Running in 09a62a465334
//   hi                                   (the RUN's output as it comes; stderr in red)
//   Removing intermediate container 09a62a465334
//    ---> 02d89c6fa91b
//
// or ` ---> Using cache` for a step that came from the cache. The build runs as a graph, so
// events come in any order; the steps are printed in Dockerfile order nonetheless, a step
// once every step above it is done, and the output of a step further down waits for its turn.
// The last step is held until the image exists: its ID is the image's, as with dockerd.
//
// kiln runs no container for a step but a RUN, so "Running in" names the RUN's process, and an
// instruction that only changes the config prints its ID alone. IDs are the step's vertex
// digest, cut to 12 hex digits as docker cuts IDs; a config-only step's is derived from the
// stage's step before it and its text.
import { createHash, randomBytes } from 'node:crypto';
import type { LogChunk, ProgressEvent } from '../../solver/index.js';
import type { JsonMessage } from './json-stream.js';
import type { LegacySteps } from './docker-build-steps.js';
import { shortId } from '../images/remove.js';

interface StepState {
  header: boolean;
  /** Vertices of the step that started and have not completed. */
  open: Set<string>;
  /** An event of the step's own was seen. */
  reported: boolean;
  /** A vertex of it ran (rather than coming from the cache). */
  ran: boolean;
  cached: boolean;
  failed: boolean;
  logs: LogChunk[];
  /** "Running in" was printed with this ID. */
  container?: string;
  /** The last vertex reported for it. */
  vertex?: string;
}

export interface LegacyOutputOptions {
  /** rm: say that the step's container goes away (dockerd's default). */
  removeIntermediate: boolean;
  /** Base image IDs by reference, for the FROM steps of images already in the store. */
  baseIds: ReadonlyMap<string, string>;
}


export class LegacyBuildOutput {
  #cursor = 0;
  readonly #states: StepState[];
  readonly #stepOfVertex = new Map<string, number>();
  /** The ID each stage ended with, for a FROM of that stage. */
  readonly #stageIds = new Map<number, string>();

  constructor(
    private readonly plan: LegacySteps,
    private readonly send: (message: JsonMessage) => void,
    private readonly options: LegacyOutputOptions,
  ) {
    this.#states = plan.steps.map(() => ({ header: false, open: new Set(), reported: false, ran: false, cached: false, failed: false, logs: [] }));
  }

  progress(event: ProgressEvent): void {
    const index = this.plan.stepOf(event.name);
    if (index === undefined) return;
    this.#stepOfVertex.set(event.digest, index);
    const state = this.#states[index] as StepState;
    state.reported = true;
    state.vertex = event.digest;
    if (event.cached === true) state.cached = true;
    else if (event.started !== undefined) state.ran = true;
    if (event.completed === undefined && event.started !== undefined) state.open.add(event.digest);
    if (event.completed !== undefined) state.open.delete(event.digest);
    if (event.error !== undefined) state.failed = true;
    state.logs.push(...(event.logs ?? []));
    this.#pump(undefined);
  }

  /** Prints every step, the last with the image's ID, and the lines after them. */
  succeeded(imageId: string, tags: readonly string[], unusedArgs: readonly string[]): void {
    this.#pump(imageId);
    if (unusedArgs.length > 0) this.#text(`[Warning] One or more build-args [${unusedArgs.join(' ')}] were not consumed\n`);
    this.send({ aux: { ID: imageId } });
    this.#text(`Successfully built ${shortId(imageId)}\n`);
    for (const tag of tags) this.#text(`Successfully tagged ${tag}\n`);
  }

  /** Prints what finished before the failure, then the failed step (`vertex`) with its output. */
  failed(vertex: string | undefined): void {
    this.#pump(undefined);
    const index = vertex === undefined ? undefined : this.#stepOfVertex.get(vertex);
    if (index !== undefined && index >= this.#cursor) this.#head(index);
  }

  /** Prints steps in order while they are done; `imageId` once the build is, for the last. */
  #pump(imageId: string | undefined): void {
    const last = this.plan.steps.length - 1;
    while (this.#cursor <= last) {
      const index = this.#cursor;
      this.#head(index);
      if (imageId === undefined && (index === last || !this.#done(index))) return;
      this.#tail(index, index === last ? imageId : undefined);
      this.#cursor++;
    }
  }

  #done(index: number): boolean {
    const step = this.plan.steps[index];
    const state = this.#states[index] as StepState;
    switch (step?.kind) {
      case 'run':
      case 'vertex':
        break;
      case 'from-image':
        if (step.baseRef !== undefined && this.options.baseIds.has(step.baseRef)) return true;
        break;
      default:
        return true;
    }
    if (state.reported) return state.open.size === 0 && !state.failed;
    // Two steps that are the same vertex report under one name only: a later step of the
    // stage having begun means this one is done.
    return this.plan.steps.some((other, at) => at > index && other.stage === step.stage && this.#states[at]?.reported === true);
  }

  /** The step's header, then what it printed so far. */
  #head(index: number): void {
    const step = this.plan.steps[index];
    const state = this.#states[index] as StepState;
    if (step === undefined) return;
    if (!state.header) {
      state.header = true;
      this.#text(`Step ${step.number}/${this.plan.total} : ${step.text}`);
      this.#text('\n');
    }
    if (step.kind === 'run' && state.ran && state.container === undefined) {
      state.container = randomBytes(6).toString('hex');
      this.#text(` ---> Running in ${state.container}\n`);
    }
    for (const chunk of state.logs.splice(0)) {
      this.#text(chunk.stream === 2 ? `\u001b[91m${chunk.data}\u001b[0m` : chunk.data);
    }
  }

  #tail(index: number, imageId: string | undefined): void {
    const step = this.plan.steps[index];
    const state = this.#states[index] as StepState;
    if (step === undefined || step.kind === 'meta-arg') return;
    if (step.kind === 'skipped') {
      this.#text(' ---> Skipped: the target does not need this stage\n');
      return;
    }
    if (state.cached && !state.ran && (step.kind === 'run' || step.kind === 'vertex')) this.#text(' ---> Using cache\n');
    if (state.container !== undefined && this.options.removeIntermediate) this.#text(`Removing intermediate container ${state.container}\n`);
    const id = imageId === undefined ? this.#stepId(index) : shortId(imageId);
    this.#text(` ---> ${id}\n`);
    this.#stageIds.set(step.stage, id);
  }

  #stepId(index: number): string {
    const step = this.plan.steps[index];
    const state = this.#states[index] as StepState;
    if (step?.kind === 'from-scratch') return '';
    if (step?.kind === 'from-stage' && step.baseStage !== undefined) return this.#stageIds.get(step.baseStage) ?? '';
    if (step?.kind === 'from-image' && step.baseRef !== undefined) {
      const known = this.options.baseIds.get(step.baseRef);
      if (known !== undefined) return shortId(known);
    }
    if (step?.kind !== 'config' && state.vertex !== undefined) return shortId(state.vertex);
    const previous = step === undefined ? '' : this.#stageIds.get(step.stage) ?? '';
    return createHash('sha256').update(`${previous}\n${step?.number ?? 0} ${step?.text ?? ''}`).digest('hex').slice(0, 12);
  }

  #text(text: string): void {
    this.send({ stream: text });
  }
}
