// A real docker-credential-<name> executable for tests: a small Node script that speaks the
// credential-helper protocol and keeps its credentials in a JSON file beside itself.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';

export interface StoredByHelper {
  [serverURL: string]: { Username: string; Secret: string };
}

const script = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const storeFile = path.join(__dirname, path.basename(__filename) + '.json');
const load = () => (fs.existsSync(storeFile) ? JSON.parse(fs.readFileSync(storeFile, 'utf8')) : {});
const input = fs.readFileSync(0, 'utf8');
const action = process.argv[2];
const notFound = () => { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); };
const store = load();
if (action === 'get') {
  const serverURL = input.trim();
  const found = store[serverURL];
  if (!found) notFound();
  process.stdout.write(JSON.stringify({ ServerURL: serverURL, Username: found.Username, Secret: found.Secret }));
} else if (action === 'store') {
  const cred = JSON.parse(input);
  if (cred.Username === 'fail') { process.stdout.write('refusing to store ' + cred.Secret + '\\n'); process.exit(1); }
  store[cred.ServerURL] = { Username: cred.Username, Secret: cred.Secret };
  fs.writeFileSync(storeFile, JSON.stringify(store));
} else if (action === 'erase') {
  const serverURL = input.trim();
  if (!store[serverURL]) notFound();
  delete store[serverURL];
  fs.writeFileSync(storeFile, JSON.stringify(store));
} else {
  process.stderr.write('unknown action ' + action + '\\n');
  process.exit(2);
}
`;

/** Writes `docker-credential-<name>` into `dir`, optionally with credentials already stored. */
export async function installCredentialHelper(dir: string, name: string, stored: StoredByHelper = {}): Promise<string> {
  const program = join(dir, `docker-credential-${name}`);
  await writeFile(program, script);
  await chmod(program, 0o755);
  await writeFile(`${program}.json`, JSON.stringify(stored));
  return program;
}

export async function helperStore(dir: string, name: string): Promise<StoredByHelper> {
  return JSON.parse(await readFile(join(dir, `docker-credential-${name}.json`), 'utf8')) as StoredByHelper;
}

/** An environment whose PATH finds the test helpers in `binDir` first, and node itself. */
export function envWithHelpers(binDir: string, configDir: string): NodeJS.ProcessEnv {
  const path = [binDir, dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  return { ...process.env, PATH: path, DOCKER_CONFIG: configDir };
}
