// One stage being converted: its State, its image config, the history it added and its step
// counter. A stage starts from its base (an image, scratch, or an earlier stage's result) the
// way BuildKit's dispatch state does: the base config's Env, WorkingDir and User carried into
// the State, PATH always set.
import type { ExecutionConfig, HistoryEntry, ImageConfig, Platform } from '../../image/index.js';
import { image, scratch, type State, type StateMetadata } from '../../llb/index.js';
import { defaultPathEnv, type PlannedStage } from '../instructions/index.js';
import type { Env } from '../words.js';
import { StepNamer } from './names.js';
import type { ResolvedImage } from './types.js';

export interface StageBuild {
  readonly stage: PlannedStage;
  readonly platform: Platform;
  state: State;
  /** The full image config; `config.config` is what the instructions change. */
  config: ImageConfig;
  /** The history entries of this Dockerfile (a stage base's included). */
  added: HistoryEntry[];
  baseImage: ResolvedImage | undefined;
  readonly namer: StepNamer;
  /** CMD was given in this stage: ENTRYPOINT then keeps it (BuildKit's instructionTracker). */
  cmdSet: boolean;
  readonly metadata: StateMetadata;
}

/** What a stage can start from. */
export type StageStart =
  | { kind: 'image'; resolved: ResolvedImage }
  | { kind: 'scratch' }
  | { kind: 'stage'; parent: StageBuild };

export interface StartOptions {
  stage: PlannedStage;
  platform: Platform;
  namer: StepNamer;
  metadata: StateMetadata;
}

export function startStage(start: StageStart, options: StartOptions): StageBuild {
  const { stage, platform, namer, metadata } = options;
  const base = startingPoint(start, options);
  const exec: ExecutionConfig = { ...base.config.config };
  // The base's triggers run as this stage's first steps (onbuild.ts), and only there.
  delete exec.OnBuild;
  if (!(exec.Env ?? []).some((e) => envKey(e) === 'PATH')) exec.Env = [...(exec.Env ?? []), `PATH=${defaultPathEnv}`];
  const config: ImageConfig = { ...base.config, config: exec };
  let state = base.state;
  for (const entry of exec.Env ?? []) state = state.withEnv(envKey(entry), entry.slice(envKey(entry).length + 1));
  if (exec.WorkingDir !== undefined && exec.WorkingDir !== '') state = state.withDir(exec.WorkingDir);
  if (exec.User !== undefined && exec.User !== '') state = state.withUser(exec.User);
  return { stage, platform, state, config, added: base.added, baseImage: base.baseImage, namer, cmdSet: false, metadata };
}

interface StartingPoint {
  state: State;
  config: ImageConfig;
  added: HistoryEntry[];
  baseImage: ResolvedImage | undefined;
}

function startingPoint(start: StageStart, options: StartOptions): StartingPoint {
  switch (start.kind) {
    case 'stage': {
      const { parent } = start;
      return { state: parent.state, config: structuredClone(parent.config), added: [...parent.added], baseImage: parent.baseImage };
    }
    case 'scratch':
      return { state: scratch(), config: emptyImage(options.platform), added: [], baseImage: undefined };
    case 'image': {
      const { resolved } = start;
      const config = structuredClone(resolved.config);
      delete config.created;
      const state = isEmptyImage(config)
        ? scratch()
        : image(resolved.ref, { platform: options.platform }).withMetadata({ ...options.metadata, customName: options.namer.next(`FROM ${resolved.ref}`) });
      return { state, config, added: [], baseImage: resolved };
    }
  }
}

/** The config of `FROM scratch` (BuildKit's emptyImage). */
function emptyImage(platform: Platform): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    config: { Env: [`PATH=${defaultPathEnv}`] },
    rootfs: { type: 'layers', diff_ids: [] },
  };
}

/** An image with no layers is scratch with a config: BuildKit then pulls nothing. */
function isEmptyImage(config: ImageConfig): boolean {
  return config.rootfs.diff_ids.length === 0 && (config.history ?? []).every((h) => h.empty_layer === true);
}

/** The ONBUILD triggers of what the stage starts from, which it runs first. */
export function baseTriggers(start: StageStart): string[] {
  if (start.kind === 'scratch') return [];
  const config = start.kind === 'stage' ? start.parent.config : start.resolved.config;
  return [...(config.config?.OnBuild ?? [])];
}

export function envKey(entry: string): string {
  const equals = entry.indexOf('=');
  return equals < 0 ? entry : entry.slice(0, equals);
}

/** Brings the State's environment in line with the dispatch scope (ENV and ARG values). */
export function syncEnv(state: State, env: Env): State {
  let out = state;
  for (const [key, value] of env) if (out.getEnv(key) !== value) out = out.withEnv(key, value);
  return out;
}
