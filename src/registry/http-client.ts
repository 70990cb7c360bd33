// undici, as every registry call reaches it. Its HTTP parser is WebAssembly, which V8 compiles
// with its baseline tier and then again with its optimising tier in the background; a CLI
// process that lives for one command would wait for that second compile at exit (~100 ms
// here). Baseline code parses response heads fast enough, so the optimising tier is turned off
// before undici compiles its parser (it does so at its first connection), in the CLI and the
// daemon alike. The flag is set here rather than at start-up because loading node:v8 costs
// every command ~3 ms, and on node's command line it would invalidate node's own code cache.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');

export { Agent, request } from 'undici';
export type { Dispatcher } from 'undici';
