// Docker credential helpers (github.com/docker/docker-credential-helpers, client package): an
// executable `docker-credential-<name>` run with one action argument. `get` and `erase` read the
// server URL on stdin; `store` reads {ServerURL, Username, Secret}; `get` answers with the same
// JSON. A helper that has nothing for the server prints a fixed sentence and exits non-zero.
import { spawn } from 'node:child_process';
import { KilnError } from '../util/errors.js';

export interface HelperCredential {
  serverURL: string;
  username: string;
  secret: string;
}

type Action = 'get' | 'store' | 'erase';

interface HelperOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

const notFoundMessage = 'credentials not found in native keychain';
const defaultTimeoutMs = 30_000;
const maxShownOutput = 200;

export interface CredentialHelperOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** The config file that named the helper, for the hint when the helper is missing. */
  configFile?: string;
}

export class CredentialHelper {
  readonly program: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly configFile: string | undefined;

  constructor(name: string, options: CredentialHelperOptions = {}) {
    this.program = `docker-credential-${name}`;
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.configFile = options.configFile;
  }

  /** The stored credential, or undefined when the helper has none for the server. */
  async get(serverURL: string): Promise<HelperCredential | undefined> {
    const out = await this.run('get', serverURL);
    if (out.exitCode !== 0) {
      if (isNotFound(out)) return undefined;
      throw this.failure('get', out);
    }
    return this.parseGet(out.stdout, serverURL);
  }

  async store(credential: HelperCredential): Promise<void> {
    const payload = JSON.stringify({ ServerURL: credential.serverURL, Username: credential.username, Secret: credential.secret });
    const out = await this.run('store', payload);
    if (out.exitCode !== 0) throw this.failure('store', out, credential.secret);
  }

  /** Erasing what is not there succeeds: logging out twice is not an error. */
  async erase(serverURL: string): Promise<void> {
    const out = await this.run('erase', serverURL);
    if (out.exitCode !== 0 && !isNotFound(out)) throw this.failure('erase', out);
  }

  private parseGet(stdout: string, serverURL: string): HelperCredential {
    let value: unknown;
    try {
      value = JSON.parse(stdout);
    } catch {
      // Not quoting the output: it may be a credential in some other shape.
      throw new KilnError('INTERNAL', `${this.program} get returned output that is not JSON`, {
        hint: `check the credential helper with: echo ${serverURL} | ${this.program} get`,
      });
    }
    const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
    const username = fields.Username;
    const secret = fields.Secret;
    if (typeof username !== 'string' || typeof secret !== 'string') {
      throw new KilnError('INTERNAL', `${this.program} get returned JSON without string "Username" and "Secret"`);
    }
    return { serverURL: typeof fields.ServerURL === 'string' ? fields.ServerURL : serverURL, username, secret };
  }

  private failure(action: Action, out: HelperOutput, secret?: string): KilnError {
    const text = redact((out.stdout.trim() || out.stderr.trim()).split('\n')[0] ?? '', secret);
    const shown = text.length > maxShownOutput ? `${text.slice(0, maxShownOutput)}…` : text;
    return new KilnError('UNAVAILABLE', `${this.program} ${action} failed with exit code ${out.exitCode ?? 'none'}${shown ? `: ${shown}` : ''}`);
  }

  private run(action: Action, input: string): Promise<HelperOutput> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.program, [action], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      // A helper that exits without reading stdin makes the write fail with EPIPE; its exit
      // status is what tells the outcome.
      child.stdin.on('error', () => undefined);
      child.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(this.spawnError(err));
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(new KilnError('DEADLINE_EXCEEDED', `${this.program} ${action} did not finish within ${this.timeoutMs / 1000} s`, {
            hint: 'the credential helper may be waiting for a prompt or an unlocked keyring',
          }));
          return;
        }
        resolve({ exitCode, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
      });
      child.stdin.end(input);
    });
  }

  private spawnError(err: NodeJS.ErrnoException): KilnError {
    const origin = this.configFile === undefined ? 'the Docker config file' : this.configFile;
    if (err.code === 'ENOENT') {
      return new KilnError('FAILED_PRECONDITION', `${this.program} not found in PATH`, {
        hint: `install the credential helper, or remove it from "credsStore"/"credHelpers" in ${origin}`,
      });
    }
    return new KilnError('UNAVAILABLE', `cannot run ${this.program}: ${err.message}`, {
      hint: `check that ${this.program} is executable, or remove it from "credsStore"/"credHelpers" in ${origin}`,
    });
  }
}

function isNotFound(out: HelperOutput): boolean {
  return out.stdout.includes(notFoundMessage) || out.stderr.includes(notFoundMessage);
}

function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('<redacted>') : text;
}
