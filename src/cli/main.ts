#!/usr/bin/env node
// Bin entry of `kiln`; everything else lives in program.ts so tests can drive it in-process.
import { setFlagsFromString } from 'node:v8';
import { main } from './program.js';

// A CLI process lives for one command. V8 would recompile undici's WebAssembly HTTP parser
// with its optimising tier in the background and make the process wait for that at exit
// (about 100 ms here); the baseline tier is fast enough for parsing response headers.
setFlagsFromString('--liftoff-only');

process.exitCode = await main(process.argv.slice(2));
