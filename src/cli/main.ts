#!/usr/bin/env node
// Bin entry of `kiln`; everything else lives in program.ts so tests can drive it in-process.
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
