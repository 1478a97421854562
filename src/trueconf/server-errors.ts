import { TrueConfError } from './errors';

/**
 * The address answered over HTTP, but what answered is not a TrueConf Server with the chatbot
 * API (a web page, a 404 on the bridge paths, a refused WebSocket upgrade). Shared by the token
 * request and the WebSocket handshake so the user sees one message for one mistake.
 */
export function notTrueConfError(host: string, status?: number): TrueConfError {
  return new TrueConfError(
    'notTrueConf',
    `${host} answered, but not as a TrueConf Server: check the address (TrueConf Server 5.5 or later with the chatbot API)`,
    { status },
  );
}
