// The executor folder's import surface: runc-backed container runs.
export { buildSpec, containerEnv, ociProcess, type BindMount, type NetworkMode, type ProcessSpec, type RootMount, type SpecOptions } from './spec.js';
export type { OCIProcess, OCISpec } from './oci-spec.js';
export { readUserDatabase, resolveUser, resolveUserIn, type ResolvedUser, type UserDatabase } from './user.js';
export { writeEtcFiles, filterResolvConf, type EtcFilesOptions, type ExtraHost } from './etc-files.js';
export { runcLifetimeChannel, runcRun, type RuncLifetimeEvent, type RunIO, type RunResult, type RuncRunOptions } from './runc.js';
export { runcExec, type RuncExecOptions } from './runc-exec.js';
export { ConsoleSize, type WindowSize } from './console-size.js';
