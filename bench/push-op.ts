// The unchanged re-push as the engine performs it, without the CLI process around it: what a
// `kiln push` costs once the daemon holds the engine, measured in the same run as the
// whole-command times. Usage: node --import tsx bench/push-op.ts ROOT REF [RUNS]
// Prints one line per push: "<first|warm> <milliseconds>".
import { openEngine } from '../src/daemon/images/engine.js';
import { pushImage } from '../src/daemon/images/push.js';

const [root, ref, runsText = '5'] = process.argv.slice(2);
if (root === undefined || ref === undefined) {
  process.stderr.write('usage: push-op.ts ROOT REF [RUNS]\n');
  process.exit(2);
}

const engine = await openEngine({ root });
try {
  for (let i = 0; i < Number(runsText); i++) {
    const start = performance.now();
    const result = await pushImage(engine, ref);
    const ms = performance.now() - start;
    if (result.uploaded !== 0) throw new Error(`expected an unchanged re-push, but ${result.uploaded} blobs were uploaded`);
    process.stdout.write(`${i === 0 ? 'first' : 'warm'} ${ms.toFixed(1)}\n`);
  }
} finally {
  await engine.close();
}
