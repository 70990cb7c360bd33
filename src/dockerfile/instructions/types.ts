// The typed Dockerfile commands: what an instruction means once its flags and arguments are
// checked, in BuildKit's vocabulary (frontend/dockerfile/instructions/commands.go). A command
// holds its words as written; variables are expanded later, at dispatch, with the env of the
// stage at that point (see dispatch.ts), so one parsed command can serve several builds.
import type { Range } from '../ast.js';

/** What every command carries: where it is, and how it was written. */
export interface CommandBase {
  /** The keyword exactly as written (`RUN`, `run`, ...). */
  keyword: string;
  keywordRange: Range;
  /** The whole instruction, heredoc bodies included. */
  range: Range;
  /** The arguments after the flags (the keyword's range when there are none). */
  argsRange: Range;
  /** The logical line, trimmed (BuildKit's `String()` of a command). */
  original: string;
  /** Comment lines directly above the instruction. */
  comments: string[];
  /** Where each flag was given (the last occurrence for repeatable flags), by name. */
  flagRanges: Readonly<Record<string, Range>>;
}

/** `KEY=value` of ENV and LABEL; `legacy` is the space-separated `ENV KEY value` form. */
export interface KeyValuePair {
  key: string;
  value: string;
  legacy: boolean;
}

/** One name of an ARG instruction; `value` is the default, if one was written. */
export interface ArgDeclaration {
  key: string;
  value: string | undefined;
  /** The text after `# NAME ` in the comment above the ARG, used by `outline`. */
  docComment: string;
}

/** A heredoc body handed to RUN (as a script or as shell input). */
export interface ShellInlineFile {
  name: string;
  data: string;
  chomp: boolean;
}

/** RUN/CMD/ENTRYPOINT: a command line, run through the shell unless given in exec form. */
export interface ShellDependentCmdLine {
  /** Exec form: the JSON elements; shell form: one element holding the command verbatim. */
  cmdLine: string[];
  files: ShellInlineFile[];
  /** True for shell form: the stage's SHELL (default `/bin/sh -c`) is put in front. */
  prependShell: boolean;
}

/** A COPY/ADD source given inline as a heredoc (`COPY <<EOF /dest`). */
export interface InlineSource {
  /** The heredoc name, used as the file name. */
  path: string;
  data: string;
  /** False when the delimiter was quoted: the body is copied literally. */
  expand: boolean;
}

export interface SourcesAndDest {
  sources: string[];
  contents: InlineSource[];
  dest: string;
}

export interface EnvCommand extends CommandBase {
  kind: 'env';
  env: KeyValuePair[];
}

export interface LabelCommand extends CommandBase {
  kind: 'label';
  labels: KeyValuePair[];
}

export interface MaintainerCommand extends CommandBase {
  kind: 'maintainer';
  maintainer: string;
}

export interface AddCommand extends CommandBase, SourcesAndDest {
  kind: 'add';
  chown: string | undefined;
  chmod: string | undefined;
  link: boolean;
  /** Undefined when the flag was not given (the git source decides). */
  keepGitDir: boolean | undefined;
  checksum: string | undefined;
  /** Undefined when the flag was not given (local archives unpack, URLs do not). */
  unpack: boolean | undefined;
  exclude: string[];
}

export interface CopyCommand extends CommandBase, SourcesAndDest {
  kind: 'copy';
  /** A stage name, a stage index or an image reference; never expanded. */
  from: string | undefined;
  chown: string | undefined;
  chmod: string | undefined;
  link: boolean;
  parents: boolean;
  exclude: string[];
}

export interface OnbuildCommand extends CommandBase {
  kind: 'onbuild';
  /** The trigger as stored in the image config: the text after ONBUILD, heredocs appended. */
  expression: string;
  /** The trigger's instruction keyword, upper-cased. */
  trigger: string;
}

export interface WorkdirCommand extends CommandBase {
  kind: 'workdir';
  path: string;
}

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

/** One `key[=value]` field of a `--mount` value, as written. */
export interface MountField {
  /** Lower-cased key. */
  key: string;
  value: string | undefined;
}

/** A `RUN --mount=...` flag as written; values may still hold variables. */
export interface MountSpec {
  text: string;
  fields: MountField[];
  /** The `from=` value (never expanded), known before dispatch for stage dependencies. */
  from: string | undefined;
  range: Range;
}

/** A mount after expansion and validation (commands_runmount.go `Mount`). */
export interface Mount {
  type: MountType;
  from: string | undefined;
  source: string | undefined;
  target: string | undefined;
  readOnly: boolean;
  /** tmpfs size in bytes; 0 means no limit. */
  sizeLimit: number;
  /** `id=`: the cache id, or the secret/ssh id. */
  id: string | undefined;
  sharing: CacheSharing | undefined;
  required: boolean;
  /** Secret exposed as this environment variable. */
  env: string | undefined;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  range: Range;
}

export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

/** A `RUN --device=name[,required]` CDI device request. */
export interface Device {
  name: string;
  required: boolean;
}

export interface RunCommand extends CommandBase, ShellDependentCmdLine {
  kind: 'run';
  mounts: MountSpec[];
  network: NetworkMode;
  security: SecurityMode;
  devices: Device[];
  /** Names of the flags that were given, in order of first use. */
  flagsUsed: string[];
}

export interface CmdCommand extends CommandBase, ShellDependentCmdLine {
  kind: 'cmd';
}

export interface EntrypointCommand extends CommandBase, ShellDependentCmdLine {
  kind: 'entrypoint';
}

/** The image config's healthcheck; durations in nanoseconds (0 = inherit the default). */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", ...args]` or `["CMD-SHELL", command]`. */
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export interface HealthcheckCommand extends CommandBase {
  kind: 'healthcheck';
  health: HealthConfig;
}

export interface ExposeCommand extends CommandBase {
  kind: 'expose';
  /** The port words as written (sorted, like BuildKit); see ports.ts for their meaning. */
  ports: string[];
}

export interface UserCommand extends CommandBase {
  kind: 'user';
  user: string;
}

export interface VolumeCommand extends CommandBase {
  kind: 'volume';
  volumes: string[];
}

export interface StopSignalCommand extends CommandBase {
  kind: 'stopsignal';
  signal: string;
}

export interface ArgCommand extends CommandBase {
  kind: 'arg';
  args: ArgDeclaration[];
}

export interface ShellCommand extends CommandBase {
  kind: 'shell';
  shell: string[];
}

export type Command =
  | EnvCommand
  | LabelCommand
  | MaintainerCommand
  | AddCommand
  | CopyCommand
  | OnbuildCommand
  | WorkdirCommand
  | RunCommand
  | CmdCommand
  | EntrypointCommand
  | HealthcheckCommand
  | ExposeCommand
  | UserCommand
  | VolumeCommand
  | StopSignalCommand
  | ArgCommand
  | ShellCommand;

export type CommandKind = Command['kind'];

/** A FROM instruction: it opens a stage rather than being a command of one. */
export interface FromInstruction extends CommandBase {
  kind: 'from';
  /** The image, stage name or `scratch`, as written (global ARGs not yet expanded). */
  baseName: string;
  baseRange: Range;
  /** Lower-cased stage name from `AS name`. */
  name: string | undefined;
  nameRange: Range | undefined;
  /** The `AS` word as written, for the FromAsCasing check. */
  asKeyword: string | undefined;
  /** `--platform` as written (global ARGs not yet expanded). */
  platform: string | undefined;
  /** The stage's description: the comment line above it that starts with its name. */
  docComment: string;
}

/** A build stage: a FROM and the commands up to the next FROM. */
export interface Stage {
  /** Position among the stages of the file, from 0. */
  index: number;
  /** Lower-cased `AS` name, if any. */
  name: string | undefined;
  from: FromInstruction;
  commands: Command[];
}
