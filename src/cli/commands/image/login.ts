// `kiln login` / `kiln logout`: the daemon checks the credentials against the registry first,
// then this process keeps them where docker keeps them (a credential helper if config.json names
// one, else `auths`), so docker and kiln share one login and the daemon stores none. A logout
// only touches the user's docker config, as docker's does.
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { DockerConfigKeychain, loginHost, type Credential } from '../../../registry/keychain.js';
import { checkLogin } from '../../client/images.js';
import { flagError } from '../../report.js';
import { daemonAddress } from '../../daemon-address.js';

export interface LoginFlags {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
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
  const keychain = new DockerConfigKeychain();
  const credential = await gatherCredential(host, flags, () => keychain.resolve(host));
  await checkLogin(daemonAddress(command), {
    serverAddress: host,
    ...(credential.username === undefined ? {} : { username: credential.username }),
    ...(credential.password === undefined ? {} : { password: credential.password }),
    ...(credential.identityToken === undefined ? {} : { identityToken: credential.identityToken }),
    ...(credential.registryToken === undefined ? {} : { registryToken: credential.registryToken }),
  });
  await keychain.storeCredential(host, credential);
  process.stdout.write('Login Succeeded\n');
}

export async function runLogout(server: string | undefined): Promise<void> {
  const host = loginHost(server);
  const shown = server ?? 'docker.io';
  const keychain = new DockerConfigKeychain();
  if ((await keychain.resolve(host)) === undefined) {
    process.stdout.write(`Not logged in to ${shown}\n`);
    return;
  }
  process.stdout.write(`Removing login credentials for ${shown}\n`);
  await keychain.eraseCredential(host);
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
