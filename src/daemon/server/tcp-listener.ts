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

export interface ListenFlags {
  /** Every -H given: at most one unix://PATH, any number of tcp://ADDR:PORT. */
  hosts: string[];
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/**
 * The daemon's listeners from its flags (kilnd's and `kiln daemon`'s alike): the unix socket,
 * and TCP hosts only with --tlsverify. The files themselves are read when the daemon starts.
 */
export function listenOptions(flags: ListenFlags): { host?: string; tcpHosts?: string[]; tls?: Partial<TlsFiles> } {
  const unix = flags.hosts.filter((host) => !host.startsWith('tcp://'));
  const tcpHosts = flags.hosts.filter((host) => host.startsWith('tcp://'));
  if (unix.length > 1) throw new KilnError('INVALID_ARGUMENT', `--host: one unix socket at most, got ${unix.join(', ')}`, { details: { flag: '--host' } });
  if (tcpHosts.length > 0 && flags.tlsverify !== true) {
    throw new KilnError('INVALID_ARGUMENT', '--host tcp://...: the daemon listens on TCP only with --tlsverify (and --tlscacert, --tlscert, --tlskey)', { details: { flag: '--tlsverify' } });
  }
  const [host] = unix;
  const { tlscacert: ca, tlscert: cert, tlskey: key } = flags;
  return {
    ...(host === undefined ? {} : { host }),
    ...(tcpHosts.length === 0 ? {} : {
      tcpHosts,
      tls: { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) },
    }),
  };
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
