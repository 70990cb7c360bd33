#!/usr/bin/env node
// Bin entry of `kiln`; everything else lives in program.ts so tests can drive it in-process.
import { main } from './program.js';

// A reader that goes away (`kiln images | head -1`) ends the command quietly, as SIGPIPE ends
// a Go CLI, instead of crashing on the write. Stores stay consistent: every write of the
// engine is atomic, so stopping here is no worse than an interrupt.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
});

// Exiting explicitly once the command is done skips the teardown of node's environment and heap
// that a natural exit runs, 3-10 ms of every command (a `kiln run --rm` ends sooner after its
// container). Nothing is lost: main resolves after the command's work, and on Linux node writes
// stdout and stderr synchronously to files, pipes and terminals.
// No top-level await: the bundled CLI is CommonJS (scripts/bundle-cli.mjs).
void main(process.argv.slice(2)).then((code) => process.exit(code));
