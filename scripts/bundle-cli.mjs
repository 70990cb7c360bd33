#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js and everything it imports, commander included)
// into dist/bin/:
// - kiln.cjs, the start path of every command (the program, the flags, the daemon's client) as
//   one CommonJS file: node loads it without its ESM loader, ~20 ms less CPU per command than
//   an ESM entry with its chunks (and the ~1 ms per file the ESM loader costs);
// - what commands load on demand (`import()`: the engine, the registry client, the commands'
//   own modules) as ESM entries with shared chunks, which the start file imports by name.
// The daemon is not bundled: it starts once.
//
// A module used on both sides is in both: the start file and the on-demand chunks have their
// own copy. Nothing shares state across them but errors, and KilnError recognises another
// copy's errors (src/util/errors.ts).
//
// dist/bin/ sits at the same depth as dist/util/ and src/util/, so paths that modules build from
// import.meta.url (src/util/package-root.ts) stay right in every output file.
import { rm } from 'node:fs/promises';
import { basename, relative, resolve } from 'node:path';
import { build } from 'esbuild';

const outdir = 'dist/bin';
const entry = 'dist/cli/main.js';

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

/**
 * Leaves the start path's `import()`s of kiln's own modules out of the start file: `targets`
 * collects their absolute paths, and with `outputs` (path -> on-demand entry file) they become
 * imports of those files.
 */
function onDemand(targets, outputs) {
  return {
    name: 'on-demand',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== 'dynamic-import' || args.path.startsWith('node:')) return undefined;
        const target = resolve(args.resolveDir, args.path);
        targets.add(target);
        const output = outputs?.get(target);
        return { path: output === undefined ? args.path : `./${basename(output)}`, external: true };
      });
    },
  };
}

const startOptions = {
  entryPoints: [entry],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // package-root.ts reads import.meta.url, which CommonJS has not: the start file's own URL.
  define: { 'import.meta.url': 'kilnStartFileUrl' },
  banner: { js: "const kilnStartFileUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

// Chunk names carry content hashes: chunks of an earlier build would pile up beside the new ones.
await rm(outdir, { recursive: true, force: true });

// 1. Which modules the start path loads on demand.
const targets = new Set();
await build({ ...startOptions, write: false, outfile: `${outdir}/kiln.cjs`, plugins: [deferChildProcess, onDemand(targets)] });

// 2. Those modules, and what they load on demand in turn, as ESM entries and shared chunks.
const onDemandBuild = await build({
  entryPoints: [...targets],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]-[hash]',
  // piscina starts its threads from a file of its own package, found by its __dirname: it
  // stays in node_modules, where that file is (a bundled copy has neither).
  external: ['piscina'],
  chunkNames: 'chunk-[hash]',
  metafile: true,
  // CommonJS dependencies (undici) call require() for node built-ins: ESM output needs one.
  banner: { js: "import { createRequire as kilnCreateRequire } from 'node:module'; const require = kilnCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
const outputs = new Map();
for (const [output, meta] of Object.entries(onDemandBuild.metafile.outputs)) {
  if (meta.entryPoint !== undefined) outputs.set(resolve(meta.entryPoint), output);
}
const missing = [...targets].filter((target) => !outputs.has(target)).map((target) => relative('.', target));
if (missing.length > 0) throw new Error(`no on-demand bundle for ${missing.join(', ')}`);

// 3. The start file, importing the on-demand entries by their file names.
await build({ ...startOptions, outfile: `${outdir}/kiln.cjs`, plugins: [deferChildProcess, onDemand(new Set(), outputs)] });
