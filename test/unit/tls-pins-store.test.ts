/**
 * The per-server pins (`TrustedCertificates`, kept in VS Code's globalState by the extension) and
 * what a connection gets from them and the settings: verification on unless a person trusted one
 * certificate for exactly that server; verification off only ever means "ask first".
 */
import * as assert from 'node:assert/strict';
import { MemoryLogger } from '../../src/common/logger';
import { TrueConfClient } from '../../src/trueconf/client';
import { PinStorage, TrustedCertificates, isHttps, pinKey } from '../../src/trueconf/pins';
import type { CertificateInfo } from '../../src/trueconf/tls';
import { FakeTrueConfServer } from '../fake-server';
import { rejection } from './helpers/rejection';
import { fingerprintOf, otherSelfSigned, selfSigned } from './helpers/tls-fixtures';

class MemoryStorage implements PinStorage {
  readonly values = new Map<string, unknown>();
  writes = 0;
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.writes++;
    this.values.set(key, structuredClone(value));
  }
}

function info(fingerprint256: string, extra: Partial<CertificateInfo> = {}): CertificateInfo {
  return { fingerprint256, subject: 'CN=localhost', issuer: 'CN=localhost', validFrom: 'x', validTo: 'Oct 31 23:49:29 2126 GMT', authorized: false, ...extra };
}

const FP_A = fingerprintOf(selfSigned());
const FP_B = fingerprintOf(otherSelfSigned());

describe('TLS: per-server pins (TrustedCertificates)', () => {
  let storage: MemoryStorage;
  let pins: TrustedCertificates;

  beforeEach(() => {
    storage = new MemoryStorage();
    pins = new TrustedCertificates(storage);
  });

  it('keys pins by origin: scheme, lower-case host and port, default port and path left out', () => {
    assert.equal(pinKey('https://Video.Example.com:443/some/path'), 'https://video.example.com');
    assert.equal(pinKey('https://10.0.0.5:8443'), 'https://10.0.0.5:8443');
    assert.ok(isHttps('https://x') && isHttps('wss://x') && !isHttps('http://x'));
  });

  it('stores what the person saw, under the origin, and finds it by any spelling of that origin', async () => {
    const pin = await pins.trust('https://Video.Example.com/', info(FP_A.toLowerCase()), 1234);
    assert.deepEqual(pin, { fingerprint256: FP_A, subject: 'CN=localhost', issuer: 'CN=localhost', validTo: 'Oct 31 23:49:29 2126 GMT', trustedAt: 1234 });
    assert.deepEqual(pins.get('https://video.example.com:443'), pin);
    assert.deepEqual(Object.keys(storage.get<Record<string, unknown>>(TrustedCertificates.STORAGE_KEY) ?? {}), ['https://video.example.com']);
    assert.equal(pins.get('https://video.example.com:8443'), undefined, 'another port is another server');
    assert.equal(pins.get('https://other.example.com'), undefined);
  });

  it('replaces a pin, forgets one, and keeps the others; concurrent changes are not lost', async () => {
    await Promise.all([pins.trust('https://a.example', info(FP_A)), pins.trust('https://b.example', info(FP_B)), pins.trust('https://c.example', info(FP_A))]);
    assert.deepEqual(Object.keys(pins.all()).sort(), ['https://a.example', 'https://b.example', 'https://c.example']);
    await pins.trust('https://a.example', info(FP_B));
    assert.equal(pins.get('https://a.example')?.fingerprint256, FP_B);
    assert.equal(await pins.forget('https://b.example'), true);
    assert.equal(await pins.forget('https://b.example'), false);
    assert.deepEqual(Object.keys(pins.all()).sort(), ['https://a.example', 'https://c.example']);
  });

  it('refuses to store something that is not a SHA-256 fingerprint, and ignores damaged entries', async () => {
    await assert.rejects(pins.trust('https://a.example', info('AB:CD')), TypeError);
    storage.values.set(TrustedCertificates.STORAGE_KEY, { 'https://a.example': { fingerprint256: 'garbage' } });
    assert.equal(pins.get('https://a.example'), undefined);
    storage.values.set(TrustedCertificates.STORAGE_KEY, ['not', 'a', 'map']);
    assert.deepEqual(pins.all(), {});
  });

  describe('decide(): the TLS options of a connection', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

    it('verifies by default (with the CA file when there is one)', () => {
      assert.deepEqual(pins.decide('https://video.example.com', { rejectUnauthorized: true }), { kind: 'connect', tls: { ca: undefined, rejectUnauthorized: true } });
      assert.deepEqual(pins.decide('https://video.example.com', { ca, rejectUnauthorized: true }), { kind: 'connect', tls: { ca, rejectUnauthorized: true } });
    });

    it('with verification turned off, asks first: it never means "accept any certificate"', () => {
      const decision = pins.decide('https://video.example.com', { ca, rejectUnauthorized: false });
      assert.deepEqual(decision, { kind: 'askFirst', tls: { ca, rejectUnauthorized: true } });
    });

    it('uses the pin of that origin only, whatever the setting; other servers stay verified', async () => {
      const pin = await pins.trust('https://video.example.com', info(FP_A));
      for (const rejectUnauthorized of [true, false]) {
        assert.deepEqual(pins.decide('https://video.example.com/', { ca, rejectUnauthorized }), { kind: 'connect', tls: { ca, pinnedFingerprint256: FP_A }, pin });
      }
      assert.deepEqual(pins.decide('https://other.example.com', { rejectUnauthorized: true }), { kind: 'connect', tls: { ca: undefined, rejectUnauthorized: true } });
      assert.equal(pins.decide('https://video.example.com:8443', { rejectUnauthorized: false }).kind, 'askFirst');
    });

    it('has nothing to ask or pin for plain http://', () => {
      assert.deepEqual(pins.decide('http://10.0.0.5:4309', { rejectUnauthorized: false }), { kind: 'connect', tls: { ca: undefined, rejectUnauthorized: true } });
    });
  });

  it('end to end: the pin for one fake server connects to it, and a second server with another certificate is still refused', async () => {
    const a = await FakeTrueConfServer.start({ tls: selfSigned() });
    const b = await FakeTrueConfServer.start({ tls: otherSelfSigned() });
    const clients: TrueConfClient[] = [];
    const connect = (server: FakeTrueConfServer) => {
      const decision = pins.decide(server.url, { rejectUnauthorized: true });
      assert.equal(decision.kind, 'connect');
      const c = new TrueConfClient({ server: server.url, username: 'alice', password: 'alice-pass', tls: decision.tls, logger: new MemoryLogger() });
      clients.push(c);
      return c.connect();
    };
    try {
      await pins.trust(a.url, info(FP_A));
      await connect(a);
      const err = await rejection(connect(b));
      assert.equal(err.kind, 'certificate');
      assert.match(err.message, /is not trusted/);
      assert.equal(b.log.tokenRequests.length, 0);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
