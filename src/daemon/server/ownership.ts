// One daemon per store root. `<root>/kilnd.pid` is created exclusively: whoever creates it owns
// the root, and a second daemon (or a second auto-start racing the first) is refused. A pid file
// whose process is gone was left by a daemon killed with -9; it is stale and taken over, as is a
// socket file nobody listens on any more.
import { readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { pidFileOf } from '../../api/host.js';
import { KilnError } from '../../util/errors.js';
import { processAlive } from '../../util/process-alive.js';

async function createExclusively(path: string): Promise<boolean> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function ownerOf(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alreadyRunning(root: string, pid: number): KilnError {
  return new KilnError('CONFLICT', `a kiln daemon (pid ${pid}) already owns the store root ${root}`, {
    hint: `stop it first (kill ${pid}), or give this daemon another --root`,
  });
}

/**
 * Takes the root for this process: the pid file holds our pid once this resolves. A stale file
 * is removed and the exclusive create retried, so of two daemons taking over the same stale
 * file only one wins.
 */
export async function claimRoot(root: string): Promise<void> {
  const path = pidFileOf(root);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createExclusively(path)) return;
    const pid = await ownerOf(path);
    if (pid !== undefined && pid !== process.pid && processAlive(pid)) throw alreadyRunning(root, pid);
    // A pid file still being written has no pid yet: give its writer a moment before taking
    // the file as the remains of a crash.
    if (pid === undefined && attempt === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    else await unlink(path).catch(() => undefined);
  }
  throw new KilnError('UNAVAILABLE', `cannot take ownership of the store root ${root}: ${path} keeps reappearing`);
}

/** Gives the root up: the pid file goes, but only while it is still ours. */
export async function releaseRoot(root: string): Promise<void> {
  const path = pidFileOf(root);
  if ((await ownerOf(path)) === process.pid) await rm(path, { force: true });
}

/** Removes a socket file left by a dead daemon; ownership of the root proves nobody serves it. */
export async function removeStaleSocket(socketPath: string): Promise<void> {
  await unlink(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
