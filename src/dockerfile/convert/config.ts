// The instructions that only change the image config (and the State's user): each applies its
// change as BuildKit's dispatchEnv, dispatchCmd, ... do and records the history entry they
// write. ENV and ARG values reach the State through the dispatch scope (stage-build syncEnv).
import { applyConfigChanges } from '../../exporter/config-changes.js';
import type { ExecutionConfig, HealthConfig } from '../../image/index.js';
import { parsePorts, type Command, type DispatchStep } from '../instructions/index.js';
import { goHealthcheck, goList, goQuotedList, goSet, historyEntry } from './history.js';
import type { StageBuild } from './stage-build.js';

type ConfigCommand = Exclude<Command, { kind: 'run' | 'copy' | 'add' | 'workdir' }>;

export function isConfigCommand(cmd: Command): cmd is ConfigCommand {
  return !['run', 'copy', 'add', 'workdir'].includes(cmd.kind);
}

export function applyConfigCommand(b: StageBuild, cmd: ConfigCommand, step: DispatchStep): void {
  const exec = (b.config.config ??= {});
  const createdBy = configChange(b, exec, cmd, step);
  if (createdBy !== undefined) b.added.push(historyEntry(createdBy, false, false));
}

/** Applies one command; returns its `created_by`, or undefined when BuildKit records none. */
function configChange(b: StageBuild, exec: ExecutionConfig, cmd: ConfigCommand, step: DispatchStep): string | undefined {
  switch (cmd.kind) {
    case 'env':
      change(b, { env: cmd.env.map((p) => `${p.key}=${p.value}`) });
      return `ENV ${cmd.env.map((p) => `${p.key}=${p.value}`).join(' ')}`;
    case 'arg':
      return `ARG ${cmd.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`;
    case 'label':
      change(b, { labels: Object.fromEntries(cmd.labels.map((p) => [p.key, p.value])) });
      return `LABEL ${cmd.labels.map((p) => `${p.key}=${p.value}`).join(' ')}`;
    case 'maintainer':
      // BuildKit writes MAINTAINER to the image's author field, not to a label.
      b.config.author = cmd.maintainer;
      return `MAINTAINER ${cmd.maintainer}`;
    case 'expose': {
      const ports = parsePorts(cmd.ports);
      change(b, { exposedPorts: ports });
      return `EXPOSE ${goSet(ports)}`;
    }
    case 'volume':
      change(b, { volumes: cmd.volumes });
      return `VOLUME ${goList(cmd.volumes)}`;
    case 'stopsignal':
      exec.StopSignal = cmd.signal;
      return `STOPSIGNAL ${cmd.signal}`;
    case 'healthcheck':
      exec.Healthcheck = healthConfig(cmd.health);
      return `HEALTHCHECK ${goHealthcheck(exec.Healthcheck)}`;
    case 'shell':
      exec.Shell = [...cmd.shell];
      return `SHELL ${goList(cmd.shell)}`;
    case 'cmd': {
      exec.Cmd = commandLine(exec, cmd);
      exec.ArgsEscaped = true;
      b.cmdSet = true;
      return `CMD ${goQuotedList(exec.Cmd)}`;
    }
    case 'entrypoint': {
      exec.Entrypoint = commandLine(exec, cmd);
      // An inherited CMD was meant for the old entrypoint; one set in this stage stays.
      if (!b.cmdSet) delete exec.Cmd;
      return `ENTRYPOINT ${goQuotedList(exec.Entrypoint)}`;
    }
    case 'user':
      exec.User = cmd.user;
      b.state = b.state.withUser(cmd.user);
      return `USER ${cmd.user}`;
    case 'onbuild':
      exec.OnBuild = [...(exec.OnBuild ?? []), cmd.expression];
      return undefined;
    default:
      return unreachable(cmd, step);
  }
}

function change(b: StageBuild, changes: Parameters<typeof applyConfigChanges>[1]): void {
  b.config.config = applyConfigChanges(b.config.config, changes);
}

/** Shell form runs through the stage's SHELL (default `/bin/sh -c`), as BuildKit's withShell. */
export function commandLine(exec: ExecutionConfig, cmd: { cmdLine: string[]; prependShell: boolean }): string[] {
  if (!cmd.prependShell) return [...cmd.cmdLine];
  return [...shellOf(exec), cmd.cmdLine.join(' ')];
}

export function shellOf(exec: ExecutionConfig): string[] {
  return exec.Shell !== undefined && exec.Shell.length > 0 ? [...exec.Shell] : ['/bin/sh', '-c'];
}

// Zero durations and retries are left out, as Go's omitempty does for the image config.
function healthConfig(health: { test: string[]; interval: number; timeout: number; startPeriod: number; startInterval: number; retries: number }): HealthConfig {
  const out: HealthConfig = { Test: [...health.test] };
  if (health.interval !== 0) out.Interval = health.interval;
  if (health.timeout !== 0) out.Timeout = health.timeout;
  if (health.startPeriod !== 0) out.StartPeriod = health.startPeriod;
  if (health.startInterval !== 0) out.StartInterval = health.startInterval;
  if (health.retries !== 0) out.Retries = health.retries;
  return out;
}

function unreachable(cmd: never, step: DispatchStep): never {
  throw new Error(`unhandled config command ${JSON.stringify(cmd)} at line ${step.parsed.range.start.line}`);
}
