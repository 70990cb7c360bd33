#!/usr/bin/env node
// Bin entry of `kiln`; everything else lives in program.ts so tests can drive it in-process.
import { setFlagsFromString } from 'node:v8';
import { main } from './program.js';

// A CLI process lives for one command. V8 would recompile undici's WebAssembly HTTP parser
// with its optimising tier in the background and make the process wait for that at exit
// (about 100 ms here); the baseline tier is fast enough for parsing response headers.
setFlagsFromString('--liftoff-only');

// A reader that goes away (`kiln images | head -1`) ends the command quietly, as SIGPIPE ends
// a Go CLI, instead of crashing on the write. Stores stay consistent: every write of the
// engine is atomic, so stopping here is no worse than an interrupt.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
});

process.exitCode = await main(process.argv.slice(2));
