// The executor folder's import surface: runc-backed container runs.
export { buildSpec, containerEnv, type BindMount, type NetworkMode, type ProcessSpec, type RootMount, type SpecOptions } from './spec.js';
export type { OCISpec } from './oci-spec.js';
export { readUserDatabase, resolveUser, resolveUserIn, type ResolvedUser, type UserDatabase } from './user.js';
export { writeEtcFiles, filterResolvConf, type EtcFilesOptions, type ExtraHost } from './etc-files.js';
export { runcRun, type RunIO, type RunResult, type RuncRunOptions } from './runc.js';
