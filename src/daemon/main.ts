#!/usr/bin/env node
// Bin entry of `kilnd`: the daemon in the foreground (`kiln daemon` runs the same). The CLI
// starts one itself, with --embedded, when none listens for its store root.
import { parseArgs } from 'node:util';
import { kilnVersion } from '../util/version.js';
import { runDaemon } from './server/daemon.js';
import { listenOptions, type ListenFlags } from './server/tcp-listener.js';
import { parseMemoryBytes } from './containers/resources.js';

const usage = `Usage: kilnd [--host unix://PATH] [--host tcp://ADDR:PORT --tlsverify ...] [--root DIR] [--debug] [--gc-keep-storage SIZE]

  -H, --host unix://PATH  the socket to listen on (default: $KILN_HOST, else one per store root)
  -H, --host tcp://ADDR:PORT
                          also listen on TCP (port default 2376), with mutual TLS only:
      --tlsverify         require client certificates (the only TCP mode)
      --tlscacert FILE    the CA client certificates must be signed by
      --tlscert FILE      the daemon's certificate
      --tlskey FILE       the daemon's key
      --root DIR          the store root (default: $KILN_ROOT, else /var/lib/kiln as root)
      --debug             also log debug lines
      --gc-keep-storage SIZE
                          the build cache's size cap, enforced after each build
                          (e.g. 10GB; default: a tenth of the store's filesystem)
  -v, --version           print the version
`;

const options = {
  host: { type: 'string', short: 'H', multiple: true },
  tlsverify: { type: 'boolean' },
  tlscacert: { type: 'string' },
  tlscert: { type: 'string' },
  tlskey: { type: 'string' },
  root: { type: 'string' },
  debug: { type: 'boolean' },
  embedded: { type: 'boolean' },
  'gc-keep-storage': { type: 'string' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

function listenFlags(values: { host?: string[]; tlsverify?: boolean; tlscacert?: string; tlscert?: string; tlskey?: string }): ListenFlags {
  const { tlsverify, tlscacert, tlscert, tlskey } = values;
  return {
    hosts: values.host ?? [],
    ...(tlsverify === undefined ? {} : { tlsverify }), ...(tlscacert === undefined ? {} : { tlscacert }),
    ...(tlscert === undefined ? {} : { tlscert }), ...(tlskey === undefined ? {} : { tlskey }),
  };
}

function parse(): ReturnType<typeof parseArgs<{ options: typeof options }>> | undefined {
  try {
    const parsed = parseArgs({ args: process.argv.slice(2), options, strict: true });
    const keep = parsed.values['gc-keep-storage'];
    if (keep !== undefined) parseMemoryBytes(keep, '--gc-keep-storage');
    listenOptions(listenFlags(parsed.values));
    return parsed;
  } catch (err) {
    process.stderr.write(`kilnd: ${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return undefined;
  }
}

const parsed = parse();
if (parsed === undefined) {
  process.exitCode = 125;
} else if (parsed.values.version === true) {
  process.stdout.write(`kilnd ${kilnVersion()}\n`);
} else if (parsed.values.help === true) {
  process.stdout.write(usage);
} else {
  // `ps` and `pgrep kilnd` name the daemon as they name dockerd, whichever node runs it.
  process.title = 'kilnd';
  const { root, debug, embedded } = parsed.values;
  const gcKeepStorage = parsed.values['gc-keep-storage'];
  process.exitCode = await runDaemon({
    ...listenOptions(listenFlags(parsed.values)),
    ...(gcKeepStorage === undefined ? {} : { gcKeepStorage: parseMemoryBytes(gcKeepStorage, '--gc-keep-storage') }),
    ...(root === undefined ? {} : { root }), debug: debug === true, embedded: embedded === true,
  });
  // Timers and handles of finished work (registry keep-alives) must not hold the daemon up.
  process.exit();
}
