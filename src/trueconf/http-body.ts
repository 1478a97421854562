/** Reading and releasing HTTP response bodies (see http.ts: a body must always be consumed or destroyed). */
import type { HttpResponse } from './http';

/**
 * Release a body that is not (or no longer) wanted. Destroying an unread body makes undici
 * report an abort, which is expected here and must not surface as an unhandled error.
 */
export function discardBody(response: HttpResponse): void {
  expectAbort(response);
  response.body.destroy();
}

/** The body as UTF-8 text, reading at most about `limit` bytes: the rest is discarded. */
export async function readTextUpTo(response: HttpResponse, limit: number): Promise<string> {
  expectAbort(response); // errors while reading still reach the loop; this covers the early stop
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response.body) {
    chunks.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    if (length >= limit) {
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function expectAbort(response: HttpResponse): void {
  response.body.on('error', () => undefined);
}
