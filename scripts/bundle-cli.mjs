#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js and everything it imports, commander included)
// into dist/bin/: the entry kiln.js plus shared chunks for the modules commands load on demand.
//
// Why: every `kiln` command pays for loading its modules, and Node's ESM loader costs about a
// millisecond per file (resolution, reading, linking) before any of our code runs; a run
// through the daemon loads some thirty files. One entry and a few chunks make the CLI's start
// about 30 ms shorter, which is most of what a `kiln run --rm` spends outside node and runc.
// The daemon is not bundled: it starts once.
//
// dist/bin/ sits at the same depth as dist/util/ and src/util/, so paths that modules build from
// import.meta.url (src/util/package-root.ts) stay right in the bundle.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

// Chunk names carry content hashes: chunks of an earlier build would pile up beside the new ones.
await rm('dist/bin', { recursive: true, force: true });

// commander requires node:child_process when it loads, for executable subcommands, which kiln
// does not have; loading it costs every command ~3 ms. Its require gets a stand-in that loads
// the module on first use instead.
const deferChildProcess = {
  name: 'defer-child-process',
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace: 'deferred' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'deferred' }, () => ({
      contents: "module.exports = new Proxy({}, { get: (_target, key) => require('node:child_process')[key] });",
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: { kiln: 'dist/cli/main.js' },
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // commander is CommonJS: its require() calls of node built-ins need a require in ESM output.
  banner: { js: "import { createRequire as kilnCreateRequire } from 'node:module'; const require = kilnCreateRequire(import.meta.url);" },
  plugins: [deferChildProcess],
  logLevel: 'warning',
});
