// Executing a CNI network configuration list the way the spec (SPEC.md, "Execution of Network
// Configuration Lists") describes: ADD runs the plugins in order, each receiving the previous
// plugin's result as prevResult; DEL runs them in reverse, each receiving the cached result of
// the ADD. Plugins are plain executables: parameters in CNI_* variables, config on stdin,
// result (or a {code, msg} error) on stdout.
import { join } from 'node:path';
import { KilnError } from '../util/errors.js';
import type { NetworkConfList, PluginConf } from './conflist.js';
import { run } from './exec.js';

export const CNI_PATH = '/usr/lib/cni';

export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: unknown;
}

export interface CniInvocation {
  containerId: string;
  netnsPath: string;
  ifName: string;
  /** Runtime values a plugin receives only for the capabilities it declares (portMappings). */
  runtimeConfig?: Record<string, unknown>;
}

function pluginConfig(list: NetworkConfList, plugin: PluginConf, invocation: CniInvocation, prevResult: CniResult | undefined): string {
  const { capabilities, ...rest } = plugin;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [capability, enabled] of Object.entries(capabilities ?? {})) {
    const value = invocation.runtimeConfig?.[capability];
    if (enabled && value !== undefined) runtimeConfig[capability] = value;
  }
  return JSON.stringify({
    ...rest,
    cniVersion: list.cniVersion,
    name: list.name,
    ...(Object.keys(runtimeConfig).length > 0 ? { runtimeConfig } : {}),
    ...(prevResult === undefined ? {} : { prevResult }),
  });
}

async function execPlugin(command: 'ADD' | 'DEL', plugin: PluginConf, config: string, invocation: CniInvocation): Promise<CniResult | undefined> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: invocation.containerId,
    CNI_NETNS: invocation.netnsPath,
    CNI_IFNAME: invocation.ifName,
    CNI_PATH,
  };
  const result = await run(join(CNI_PATH, plugin.type), [], { input: config, env });
  if (result.status !== 0) {
    let message = result.stderr.trim() || `exit status ${result.status}`;
    try {
      const error = JSON.parse(result.stdout) as { msg?: string; details?: string };
      if (error.msg) message = error.details ? `${error.msg}: ${error.details}` : error.msg;
    } catch {
      // Not a CNI error object: stderr (or the exit status) says what went wrong.
    }
    throw new KilnError('INTERNAL', `CNI plugin ${plugin.type} ${command} failed: ${message}`);
  }
  return command === 'ADD' ? (JSON.parse(result.stdout) as CniResult) : undefined;
}

export async function addNetworkList(list: NetworkConfList, invocation: CniInvocation): Promise<CniResult> {
  let prevResult: CniResult | undefined;
  for (const plugin of list.plugins) {
    prevResult = await execPlugin('ADD', plugin, pluginConfig(list, plugin, invocation, prevResult), invocation);
  }
  if (prevResult === undefined) throw new KilnError('INTERNAL', `CNI network ${list.name} has no plugins`);
  return prevResult;
}

/**
 * DEL in reverse order. Every plugin runs even when an earlier one fails (so one broken step
 * does not leak the others' rules and leases); the first failure is reported afterwards.
 */
export async function delNetworkList(list: NetworkConfList, invocation: CniInvocation, cached: CniResult | undefined): Promise<void> {
  let firstError: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    try {
      await execPlugin('DEL', plugin, pluginConfig(list, plugin, invocation, cached), invocation);
    } catch (err) {
      firstError ??= err;
    }
  }
  if (firstError !== undefined) throw firstError;
}
