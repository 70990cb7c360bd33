// Extra trusted certificates for registry TLS, the way NODE_EXTRA_CA_CERTS adds them to Node's
// own. Node 20 reads NODE_EXTRA_CA_CERTS when the process starts, whether or not it will ever
// open a TLS connection: with a system bundle that is ~75 ms added to every kiln command, most
// of which never reach a registry. bin/kiln therefore hands the variable on as
// KILN_EXTRA_CA_CERTS (and clears Node's), and the bundle is read here, when the registry
// client is made. Like Node, a bundle that cannot be read is warned about and left out.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

export const extraCaVariable = 'KILN_EXTRA_CA_CERTS';

/**
 * The CA list for registry connections: Node's bundled roots plus the extra bundle, or
 * undefined (Node's defaults, which include NODE_EXTRA_CA_CERTS when it was left set).
 */
export function registryCertificateAuthorities(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const path = env[extraCaVariable];
  if (path === undefined || path === '') return undefined;
  try {
    return [...rootCertificates, readFileSync(path, 'utf8')];
  } catch (err) {
    process.emitWarning(`Ignoring extra certs from \`${path}\`, load failed: ${(err as Error).message}`);
    return undefined;
  }
}
