/**
 * The certificates in test/unit/fixtures (see its README) and the small things the TLS tests
 * need around them: fingerprints, a TrueConf client and file API over one fake server, and a
 * bare TLS server that counts the bytes a client sends after the handshake.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { TlsPair } from './transport-servers';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'unit', 'fixtures');

function read(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** The self-signed certificate for localhost / 127.0.0.1 the other transport tests use. */
export function selfSigned(): TlsPair {
  return { key: read('tls-selfsigned-key.pem'), cert: read('tls-selfsigned-cert.pem') };
}

/** Another self-signed certificate for the same names: "the certificate changed". */
export function otherSelfSigned(): TlsPair {
  return { key: read('tls-selfsigned2-key.pem'), cert: read('tls-selfsigned2-cert.pem') };
}

/** A server certificate signed by the test CA. */
export function caSigned(): TlsPair {
  return { key: read('tls-ca-server-key.pem'), cert: read('tls-ca-server-cert.pem') };
}

/** The test CA's certificate (what `trueconf.tls.caFile` would name). */
export function testCa(): string {
  return read('tls-ca-cert.pem');
}

export function fixturePath(name: string): string {
  return path.join(FIXTURES, name);
}

/** `AB:CD:…`, computed independently of the code under test. */
export function fingerprintOf(pair: TlsPair): string {
  return new X509Certificate(pair.cert).fingerprint256;
}

export interface ByteCountingTlsServer {
  readonly port: number;
  /** Application bytes received after the handshake, over all connections. */
  readonly received: () => number;
  /** TCP connections accepted (a client that hangs up right after its handshake may not complete the server's). */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** A TLS server that completes handshakes and counts what arrives afterwards; it never answers. */
export async function startByteCountingTlsServer(pair: TlsPair): Promise<ByteCountingTlsServer> {
  let received = 0;
  let connections = 0;
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ key: pair.key, cert: pair.cert, ALPNProtocols: ['http/1.1'] }, (socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connection', () => connections++);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
