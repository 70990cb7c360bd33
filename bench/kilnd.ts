// kilnd from dist/ (what users run) on a store root, for the benchmarks that go through it;
// resolves once it listens. The caller stops it (SIGTERM).
import { spawn, type ChildProcess } from 'node:child_process';

export async function startBenchDaemon(root: string): Promise<ChildProcess> {
  const daemon = spawn(process.execPath, [new URL('../dist/daemon/main.js', import.meta.url).pathname, '--root', root], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    daemon.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('"msg":"listening"')) resolve();
    });
    daemon.once('exit', () => reject(new Error(`kilnd exited: ${log}`)));
  });
  return daemon;
}
