/** Making the fake server give one odd answer, under the id of a real request, to a signed-in client. */
import type { FakeTrueConfServer } from '../../fake-server';

/**
 * Run `call`, let the fake server swallow its own answer to the next `method` request, and send
 * `payload` instead under that request's id (to `login`'s sockets). Resolves or rejects like `call`.
 */
export async function answerNextWith<T>(server: FakeTrueConfServer, method: string, payload: unknown, call: () => Promise<T>, login = 'alice'): Promise<T> {
  server.faults.omitResponses(method, 1);
  const seen = server.log.requests.length;
  const pending = call();
  pending.catch(() => undefined); // handled by the caller; this only keeps it from counting as unhandled meanwhile
  const request = await server.waitFor(() => server.log.requests.slice(seen).find((r) => r.method === method));
  server.faults.sendRaw(JSON.stringify({ type: 2, id: request.id, payload }), login);
  return pending;
}
