import * as assert from 'node:assert/strict';
import { parseServerAddress, rewriteToServer, ServerAddressError } from '../../src/trueconf/endpoints';

describe('trueconf/endpoints', () => {
  it('derives every endpoint from an https address', () => {
    const e = parseServerAddress(' https://video.example.com ');
    assert.equal(e.origin, 'https://video.example.com');
    assert.equal(e.secure, true);
    assert.equal(e.tokenUrl, 'https://video.example.com/bridge/api/client/v1/oauth/token');
    assert.equal(e.webSocketUrl, 'wss://video.example.com/websocket/chat_bot/');
    assert.equal(e.uploadUrl, 'https://video.example.com/bridge/api/client/v1/files');
  });

  it('keeps an explicit plain-http Bridge address with its port', () => {
    const e = parseServerAddress('http://10.0.0.5:4309');
    assert.equal(e.webSocketUrl, 'ws://10.0.0.5:4309/websocket/chat_bot/');
    assert.equal(e.host, '10.0.0.5:4309');
    assert.equal(e.secure, false);
  });

  it('assumes https for a bare host, and plain http for a bare host on the Bridge port', () => {
    assert.equal(parseServerAddress('video.example.com').origin, 'https://video.example.com');
    assert.equal(parseServerAddress('video.example.com:4309').origin, 'http://video.example.com:4309');
    assert.equal(parseServerAddress('video.example.com/').origin, 'https://video.example.com');
  });

  for (const [input, message] of [
    ['', /Enter the address/],
    ['not a url', /spaces/],
    ['ftp://host', /http:\/\/ or https:\/\//],
    ['https://user:pw@host', /user name or password/],
    ['https://host/some/path', /without a path/],
    ['https://host?x=1', /without a path/],
    ['http://', /not a valid server address/],
  ] as const) {
    it(`refuses ${JSON.stringify(input)} with a message fit for the input box`, () => {
      assert.throws(() => parseServerAddress(input), (err: unknown) => err instanceof ServerAddressError && message.test(err.message));
    });
  }

  it('rewrites a download URL on another host to the configured server, keeping path and query', () => {
    const e = parseServerAddress('https://video.example.com:8443');
    assert.equal(
      rewriteToServer('http://internal-node:4309/bridge/api/client/v1/files/f1?token=t', e),
      'https://video.example.com:8443/bridge/api/client/v1/files/f1?token=t',
    );
  });
});
