// The typed instruction model: commands, stages, ARG/ENV scoping and build planning.
export type * from './types.js';
export { parseInstruction, instructionNames } from './parse.js';
export { parseStages, findStageByName, type ParsedDockerfile } from './stages.js';
export {
  planBuild, redispatch, displayName,
  type BuildPlan, type PlannedStage, type PlanOptions, type PlanWarning,
} from './plan.js';
export type { StageBase } from './base.js';
export { summarizePlan, type PlanSummary, type StageSummary } from './summary.js';
export type { StageDependency, DependencyVia } from './deps.js';
export {
  dispatchStage, dispatchCommand, imageScope, undefinedNames, defaultPathEnv,
  type DeclaredArg, type DispatchContext, type DispatchStep, type StageDispatch, type StageScope,
} from './dispatch.js';
export { makeLexers, expandCommand, WordExpander, type ExpansionRecord, type Lexers } from './expand.js';
export {
  platformArgNames, proxyArgNames, builtinArgNames, nonEnvArgNames, isPredefinedArg, resolveBuildArgs,
  platformArgs, evaluateMetaArgs, proxyEnvFromBuildArgs, type MetaArg, type ProxyEnv,
} from './args.js';
export { parsePlatform, normalizePlatform, formatPlatform, formatPlatformAll, hostPlatform, PlatformError, type Platform } from '../../image/index.js';
export { selectFrontend, isBuiltinFrontend, type FrontendSelection } from './frontend.js';
export { parseChmod, type ChmodValue } from './copy.js';
export { parsePorts, splitPort, type PortParts } from './ports.js';
export { parseSignal } from './signals.js';
export { resolveMount, mountTypes } from './mounts.js';
export { parseGoDuration } from './duration.js';
export { suggest, didYouMean, editDistance } from './suggest.js';
export { imageReferenceProblem } from './reference.js';
