/**
 * Looking at a server's certificate before trusting it (`probeCertificate`), and the fingerprint
 * helpers the pin uses.
 */
import * as assert from 'node:assert/strict';
import { parseServerAddress } from '../../src/trueconf/endpoints';
import { probeCertificate } from '../../src/trueconf/http';
import { abbreviateFingerprint, certificateFingerprint256, normalizeFingerprint, sameFingerprint } from '../../src/trueconf/tls';
import { FakeTrueConfServer } from '../fake-server';
import { rejection } from './helpers/rejection';
import { caSigned, fingerprintOf, otherSelfSigned, selfSigned, startByteCountingTlsServer, testCa } from './helpers/tls-fixtures';
import { closedPort } from './helpers/transport-servers';

describe('TLS: fingerprints', () => {
  const fp = fingerprintOf(selfSigned());

  it('computes the SHA-256 fingerprint of a PEM certificate as AB:CD:… (what openssl and X509Certificate say)', () => {
    assert.match(fp, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(certificateFingerprint256(selfSigned().cert), fp);
    assert.notEqual(certificateFingerprint256(otherSelfSigned().cert), fp);
  });

  it('accepts fingerprints in lower case, without colons or with spaces; rejects anything else', () => {
    const hex = fp.replace(/:/g, '');
    assert.equal(normalizeFingerprint(hex.toLowerCase()), fp);
    assert.equal(normalizeFingerprint(fp.replace(/:/g, ' ')), fp);
    assert.ok(sameFingerprint(hex, fp.toLowerCase()));
    for (const bad of ['', 'AB:CD', `${hex}00`, hex.replace(/^./, 'G'), fingerprintOf(caSigned()).slice(0, 59)]) {
      assert.equal(normalizeFingerprint(bad), undefined, bad);
      assert.ok(!sameFingerprint(bad, bad), `"${bad}" matches nothing, not even itself`);
    }
  });

  it('abbreviates to the first eight bytes for messages', () => {
    assert.equal(abbreviateFingerprint(fp), `${fp.slice(0, 23)}…`);
  });
});

describe('TLS: probeCertificate', () => {
  it("reports a self-signed server's fingerprint, names and dates, and that it does not verify", async () => {
    const server = await FakeTrueConfServer.start({ tls: selfSigned() });
    try {
      const info = await probeCertificate(server.url);
      assert.equal(info.fingerprint256, fingerprintOf(selfSigned()));
      assert.equal(info.subject, 'CN=localhost');
      assert.equal(info.issuer, 'CN=localhost');
      assert.match(info.validTo, /2126 GMT$/);
      assert.ok(info.validFrom);
      assert.equal(info.authorized, false);
      assert.equal(info.authorizationError, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      assert.equal(server.log.http.length, 0, 'probing sends no request');
    } finally {
      await server.stop();
    }
  });

  it('says a certificate signed by the given CA verifies, and names its issuer', async () => {
    const server = await FakeTrueConfServer.start({ tls: caSigned() });
    try {
      const without = await probeCertificate(server.url);
      assert.equal(without.authorized, false);
      assert.equal(without.issuer, 'CN=TrueConf Share Test CA');
      const withCa = await probeCertificate(parseServerAddress(server.url).origin, { ca: testCa() });
      assert.equal(withCa.authorized, true);
      assert.equal(withCa.authorizationError, undefined);
      assert.equal(withCa.fingerprint256, fingerprintOf(caSigned()));
    } finally {
      await server.stop();
    }
  });

  it('completes the handshake and hangs up without writing a byte', async () => {
    const peer = await startByteCountingTlsServer(otherSelfSigned());
    try {
      const info = await probeCertificate(`https://127.0.0.1:${peer.port}`);
      assert.equal(info.fingerprint256, fingerprintOf(otherSelfSigned()));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(peer.connections(), 1);
      assert.equal(peer.received(), 0);
    } finally {
      await peer.close();
    }
  });

  it('refuses an http:// address, and reports an unreachable one', async () => {
    assert.equal((await rejection(probeCertificate('http://127.0.0.1:4309'))).kind, 'certificate');
    const err = await rejection(probeCertificate(`https://127.0.0.1:${await closedPort()}`));
    assert.equal(err.kind, 'unreachable');
    assert.match(err.message, /refused the connection/);
  });

  it('times out on a server that never finishes the handshake, and can be cancelled', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const err = await rejection(probeCertificate(`https://127.0.0.1:${port}`, { timeoutMs: 200 }));
      assert.equal(err.kind, 'timeout');
      const controller = new AbortController();
      const probing = probeCertificate(`https://127.0.0.1:${port}`, { signal: controller.signal });
      controller.abort();
      assert.equal((await rejection(probing)).kind, 'cancelled');
    } finally {
      silent.close();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});
