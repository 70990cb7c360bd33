// `kiln login` / `kiln logout`: credentials are checked against the registry first, then kept
// where docker keeps them (a credential helper if config.json names one, else `auths`), so
// docker and kiln share one login.
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { convertToHostname, type Credential } from '../../../registry/index.js';
import { KilnError } from '../../../util/errors.js';
import { flagError } from '../../report.js';
import { withEngine } from './context.js';

export interface LoginFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

const dockerHubHost = 'registry-1.docker.io';

/** The registry host a login server argument names; none means Docker Hub. */
export function loginHost(server: string | undefined): string {
  if (server === undefined || server === '') return dockerHubHost;
  const host = convertToHostname(server);
  return ['docker.io', 'index.docker.io'].includes(host) ? dockerHubHost : host;
}

export async function runLogin(command: Command, server: string | undefined, flags: LoginFlags): Promise<void> {
  const host = loginHost(server);
  if (flags.password !== undefined && flags.passwordStdin === true) {
    throw flagError('--password-stdin', '--password and --password-stdin are mutually exclusive');
  }
  if (flags.password !== undefined) process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (flags.passwordStdin === true && flags.username === undefined) {
    throw flagError('--password-stdin', 'must be given with --username');
  }
  await withEngine(command, async (engine) => {
    const credential = await gatherCredential(host, flags, () => engine.keychain.resolve(host));
    await (await engine.registry()).login(host, credential).catch((err: unknown) => {
      // The registry client's hint says to log in, which is what just failed.
      if (err instanceof KilnError && err.code === 'UNAUTHORIZED') {
        throw new KilnError('UNAUTHORIZED', `login to ${host} failed: ${err.message}`, { hint: 'check the user name and password', cause: err });
      }
      throw err;
    });
    await engine.keychain.storeCredential(host, credential);
  });
  process.stdout.write('Login Succeeded\n');
}

export async function runLogout(command: Command, server: string | undefined): Promise<void> {
  const host = loginHost(server);
  const shown = server ?? 'docker.io';
  await withEngine(command, async (engine) => {
    if ((await engine.keychain.resolve(host)) === undefined) {
      process.stdout.write(`Not logged in to ${shown}\n`);
      return;
    }
    process.stdout.write(`Removing login credentials for ${shown}\n`);
    await engine.keychain.eraseCredential(host);
  });
}

async function gatherCredential(host: string, flags: LoginFlags, stored: () => Promise<Credential | undefined>): Promise<Credential> {
  if (flags.passwordStdin === true) return { username: flags.username as string, password: await readStdinPassword() };
  if (flags.username !== undefined && flags.password !== undefined) return { username: flags.username, password: flags.password };
  if (flags.username === undefined && flags.password === undefined) {
    const existing = await stored();
    if (existing !== undefined) {
      process.stdout.write('Authenticating with existing credentials...\n');
      return existing;
    }
  }
  if (process.stdin.isTTY !== true) {
    throw flagError('--username', 'Cannot perform an interactive login from a non TTY device', 'pass --username and --password-stdin');
  }
  const username = flags.username ?? (await prompt(`Username for ${host}: `, false));
  const password = flags.password ?? (await prompt('Password: ', true));
  return { username, password };
}

/** docker trims the trailing newline (and only that) of a piped password. */
async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw flagError('--password-stdin', 'password is empty');
  return text;
}

async function prompt(question: string, secret: boolean): Promise<string> {
  process.stdout.write(question);
  // A muted output stream keeps a typed password off the screen.
  const output = secret ? new Writable({ write: (_c, _e, done) => done() }) : process.stdout;
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = await rl.question('');
    if (secret) process.stdout.write('\n');
    return answer.trim();
  } finally {
    rl.close();
  }
}
