/**
 * Where things live on a TrueConf Server, derived from the address the user typed
 * (protocol.md §1.1): `https://video.example.com`, `http://host:4309`, or a bare host.
 */
export interface ServerEndpoints {
  /** Normalised origin, e.g. `https://video.example.com` or `http://10.0.0.5:4309`. */
  readonly origin: string;
  readonly secure: boolean;
  /** host[:port] as shown to the user. */
  readonly host: string;
  readonly tokenUrl: string;
  readonly webSocketUrl: string;
  readonly uploadUrl: string;
}

/** The TrueConf Bridge port: plain HTTP and WebSocket only (protocol.md §1.1). */
export const BRIDGE_PORT = 4309;

/** What is wrong with a server address, so the UI can say it in the user's language. */
export type ServerAddressProblem = 'empty' | 'spaces' | 'scheme' | 'invalid' | 'noHost' | 'credentials' | 'path';

export class ServerAddressError extends Error {
  /**
   * @param problem what is wrong
   * @param subject what the message names: the scheme typed (`scheme`), or the address (`invalid`)
   */
  constructor(
    message: string,
    readonly problem: ServerAddressProblem = 'invalid',
    readonly subject = '',
  ) {
    super(message);
    this.name = 'ServerAddressError';
  }
}

/**
 * Parse what a person typed as the server address. A bare host means HTTPS, except on
 * the Bridge port 4309, which only speaks plain HTTP. Throws ServerAddressError with a
 * message fit to show in an input box.
 */
export function parseServerAddress(input: string): ServerEndpoints {
  const text = input.trim();
  if (!text) {
    throw new ServerAddressError('Enter the address of your TrueConf Server, for example https://video.example.com', 'empty');
  }
  if (/\s/.test(text)) {
    throw new ServerAddressError('The server address cannot contain spaces.', 'spaces');
  }
  let withScheme = text;
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (!schemeMatch) {
    const portMatch = /:(\d+)(?:\/|$)/.exec(text);
    const plain = portMatch !== null && Number(portMatch[1]) === BRIDGE_PORT;
    withScheme = `${plain ? 'http' : 'https'}://${text}`;
  } else if (!/^https?$/i.test(schemeMatch[1])) {
    throw new ServerAddressError(`Use an http:// or https:// address, not ${schemeMatch[1]}://.`, 'scheme', schemeMatch[1]);
  }
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ServerAddressError(`"${text}" is not a valid server address. Example: https://video.example.com`, 'invalid', text);
  }
  if (!url.hostname) {
    throw new ServerAddressError('The server address needs a host name.', 'noHost');
  }
  if (url.username || url.password) {
    throw new ServerAddressError('Do not put a user name or password in the server address.', 'credentials');
  }
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash) {
    throw new ServerAddressError('Enter only the server address, without a path, for example https://video.example.com', 'path');
  }
  const secure = url.protocol === 'https:';
  const origin = url.origin;
  const wsOrigin = origin.replace(/^http/, 'ws');
  return {
    origin,
    secure,
    host: url.host,
    tokenUrl: `${origin}/bridge/api/client/v1/oauth/token`,
    webSocketUrl: `${wsOrigin}/websocket/chat_bot/`,
    uploadUrl: `${origin}/bridge/api/client/v1/files`,
  };
}

/**
 * Download URLs may name an internal host the client cannot reach (protocol.md §5). Like
 * TrueConf's own clients, fetch them from the configured server instead: same path and
 * query, the configured scheme, host and port. Nothing is ever sent to another host.
 */
export function rewriteToServer(url: string, endpoints: ServerEndpoints): string {
  const parsed = new URL(url, endpoints.origin);
  const server = new URL(endpoints.origin);
  parsed.protocol = server.protocol;
  parsed.host = server.host;
  return parsed.toString();
}
