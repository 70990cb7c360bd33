#!/usr/bin/env node
// Bin entry of `kilnd`: the daemon in the foreground (`kiln daemon` runs the same). The CLI
// starts one itself, with --embedded, when none listens for its store root.
import { parseArgs } from 'node:util';
import { kilnVersion } from '../util/version.js';
import { runDaemon } from './server/daemon.js';
import { parseMemoryBytes } from './containers/resources.js';

const usage = `Usage: kilnd [--host unix://PATH] [--root DIR] [--debug] [--gc-keep-storage SIZE]

  -H, --host unix://PATH  the socket to listen on (default: $KILN_HOST, else one per store root)
      --root DIR          the store root (default: $KILN_ROOT, else /var/lib/kiln as root)
      --debug             also log debug lines
      --gc-keep-storage SIZE
                          the build cache's size cap, enforced after each build
                          (e.g. 10GB; default: a tenth of the store's filesystem)
  -v, --version           print the version
`;

const options = {
  host: { type: 'string', short: 'H' },
  root: { type: 'string' },
  debug: { type: 'boolean' },
  embedded: { type: 'boolean' },
  'gc-keep-storage': { type: 'string' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(): ReturnType<typeof parseArgs<{ options: typeof options }>> | undefined {
  try {
    const parsed = parseArgs({ args: process.argv.slice(2), options, strict: true });
    const keep = parsed.values['gc-keep-storage'];
    if (keep !== undefined) parseMemoryBytes(keep, '--gc-keep-storage');
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
  const { host, root, debug, embedded } = parsed.values;
  const gcKeepStorage = parsed.values['gc-keep-storage'];
  process.exitCode = await runDaemon({
    ...(gcKeepStorage === undefined ? {} : { gcKeepStorage: parseMemoryBytes(gcKeepStorage, '--gc-keep-storage') }),
    ...(host === undefined ? {} : { host }), ...(root === undefined ? {} : { root }), debug: debug === true, embedded: embedded === true,
  });
  // Timers and handles of finished work (registry keep-alives) must not hold the daemon up.
  process.exit();
}
