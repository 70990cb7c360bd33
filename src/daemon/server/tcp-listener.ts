// kilnd on TCP, which it does only when asked (`-H tcp://ADDR:PORT`) and then only with mutual
// TLS: whoever reaches the port can run containers as root, so a client must present a
// certificate signed by the CA given with --tlscacert, as dockerd's --tlsverify demands. There
// is no plain-TCP mode. The docker CLI connects with DOCKER_HOST=tcp://…, DOCKER_TLS_VERIFY=1
// and DOCKER_CERT_PATH holding ca.pem, cert.pem and key.pem.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { KilnError } from '../../util/errors.js';

/** dockerd's port for TLS connections when a tcp host names none. */
const defaultTlsPort = 2376;

export interface TcpAddress {
  host: string;
  port: number;
}

export interface TlsFiles {
  /** The CA whose certificates clients must present. */
  ca: string;
  cert: string;
  key: string;
}

function invalidHost(host: string, why: string): KilnError {
  return new KilnError('INVALID_ARGUMENT', `--host ${host}: ${why}`, { details: { flag: '--host' } });
}

/** `tcp://ADDR[:PORT]` (IPv6 in brackets); the port defaults to 2376. */
export function parseTcpHost(host: string): TcpAddress {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw invalidHost(host, 'invalid address, expected tcp://ADDR:PORT');
  }
  if (url.protocol !== 'tcp:' || url.hostname === '' || url.pathname !== '' && url.pathname !== '/') {
    throw invalidHost(host, 'invalid address, expected tcp://ADDR:PORT');
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? defaultTlsPort : Number(url.port) };
}

/** The TLS files are required as a set; reading them here makes a bad path a start-up error. */
export async function readTlsFiles(files: Partial<TlsFiles>): Promise<{ ca: Buffer; cert: Buffer; key: Buffer }> {
  const missing = (['ca', 'cert', 'key'] as const).filter((name) => files[name] === undefined);
  if (missing.length > 0) {
    throw new KilnError('INVALID_ARGUMENT', `a tcp host needs TLS client verification: missing ${missing.map((name) => `--tls${name === 'ca' ? 'cacert' : name}`).join(', ')}`, {
      hint: 'kilnd listens on TCP only with --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY',
    });
  }
  const read = async (flag: string, path: string): Promise<Buffer> => readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new KilnError('INVALID_ARGUMENT', `--${flag} ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  const [ca, cert, key] = await Promise.all([read('tlscacert', files.ca!), read('tlscert', files.cert!), read('tlskey', files.key!)]);
  return { ca, cert, key };
}

/** An HTTPS server that completes no handshake without a client certificate from the CA. */
export function tlsServer(tls: { ca: Buffer; cert: Buffer; key: Buffer }, limits: { maxHeaderSize: number; requestTimeout: number }): Server {
  return createServer({ ...tls, ...limits, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' });
}

export async function listenTcp(server: Server, address: TcpAddress): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
