// kilnd from dist/ (what users run) on a store root, for the benchmarks that go through it;
// resolves once it listens. The caller stops it (SIGTERM). Its log is read only until then:
// scanning it during the timed runs would cost the benchmark's own process.
import { spawn, type ChildProcess } from 'node:child_process';

export async function startBenchDaemon(root: string): Promise<ChildProcess> {
  const daemon = spawn(process.execPath, [new URL('../dist/daemon/main.js', import.meta.url).pathname, '--root', root], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stderr = daemon.stderr!;
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (!log.includes('"msg":"listening"')) return;
      stderr.off('data', onData);
      daemon.off('exit', onExit);
      // Drained from here on, unread.
      stderr.resume();
      resolve();
    };
    const onExit = (): void => reject(new Error(`kilnd exited: ${log}`));
    stderr.on('data', onData);
    daemon.once('exit', onExit);
  });
  return daemon;
}
