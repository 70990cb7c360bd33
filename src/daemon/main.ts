#!/usr/bin/env node
// Bin entry of `kilnd`. The long-running daemon is not part of this release: every `kiln`
// command runs its engine in-process. Say so plainly instead of pretending to serve.
import { kilnVersion } from '../util/version.js';

const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`kilnd ${kilnVersion()}\n`);
} else {
  process.stderr.write(
    `kilnd ${kilnVersion()}: the daemon is not available in this release\n` +
      'hint: run kiln commands directly; they work without a daemon\n',
  );
  process.exitCode = 1;
}
