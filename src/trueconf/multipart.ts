/**
 * A multipart/form-data request body built by hand as a stream (design.md, "Facts measured"):
 * part headers, each file's bytes read from its own stream, and the closing boundary. The total
 * length is known before the first byte is sent, so the request carries a Content-Length and no
 * file is ever held in memory.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { TrueConfError } from './errors';

export interface MultipartFilePart {
  /** Form field name, e.g. `file` or `preview`. */
  field: string;
  fileName: string;
  contentType: string;
  /** The exact number of bytes `open()` yields; it goes into Content-Length. */
  size: number;
  open(): Readable;
}

export interface MultipartBody {
  /** The request's Content-Type header, boundary included. */
  contentType: string;
  contentLength: number;
  /** Single-use; reading it opens each part's stream in turn. */
  stream: Readable;
  /** Why the body failed, when the fault was on the reading side (a source's error, or its size changed). */
  sourceError(): unknown;
}

export interface MultipartOptions {
  /** Fixed boundary, for tests; a random one otherwise. */
  boundary?: string;
  /** Called as each chunk of a part's bytes is handed to the request body. */
  onPartBytes?(field: string, chunkLength: number): void;
}

const CRLF = '\r\n';
/** The read-ahead of the body stream: about one file chunk, so progress tracks what the socket takes. */
const BODY_HIGH_WATER_MARK = 64 * 1024;

export function createMultipartBody(parts: readonly MultipartFilePart[], options: MultipartOptions = {}): MultipartBody {
  const boundary = options.boundary ?? `----TrueConfShare${randomBytes(16).toString('hex')}`;
  const heads = parts.map((part) => Buffer.from(partHead(boundary, part), 'utf8'));
  const tail = Buffer.from(`--${boundary}--${CRLF}`, 'utf8');
  const contentLength = parts.reduce((sum, part, i) => sum + heads[i].length + part.size + CRLF.length, tail.length);

  let sourceError: unknown;
  async function* generate(): AsyncGenerator<Buffer> {
    try {
      for (const [i, part] of parts.entries()) {
        yield heads[i];
        yield* readExactly(part, options.onPartBytes);
        yield Buffer.from(CRLF);
      }
      yield tail;
    } catch (err) {
      // Only the reading side throws here; a consumer that gives up ends the generator without an error.
      sourceError = err;
      throw err;
    }
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength,
    stream: Readable.from(generate(), { objectMode: false, highWaterMark: BODY_HIGH_WATER_MARK }),
    sourceError: () => sourceError,
  };
}

function partHead(boundary: string, part: MultipartFilePart): string {
  return (
    `--${boundary}${CRLF}` +
    `Content-Disposition: form-data; name="${escapeQuoted(part.field)}"; filename="${escapeQuoted(part.fileName)}"${CRLF}` +
    `Content-Type: ${sanitizeContentType(part.contentType)}${CRLF}${CRLF}`
  );
}

/**
 * Yield the part's bytes, failing if the source yields more or fewer than `size`: the
 * Content-Length was computed from it, so the file must not change while it is sent.
 */
async function* readExactly(part: MultipartFilePart, onBytes: MultipartOptions['onPartBytes']): AsyncGenerator<Buffer> {
  let read = 0;
  for await (const chunk of part.open()) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    read += buf.length;
    if (read > part.size) {
      throw sizeChanged(part, 'grew');
    }
    yield buf;
    onBytes?.(part.field, buf.length);
  }
  if (read < part.size) {
    throw sizeChanged(part, 'shrank');
  }
}

function sizeChanged(part: MultipartFilePart, how: 'grew' | 'shrank'): TrueConfError {
  return new TrueConfError(
    'uploadRejected',
    `"${part.fileName}" ${how} while it was being sent (it was ${part.size} bytes when the upload started). Send it again once it has stopped changing.`,
  );
}

/**
 * Quote a name for a Content-Disposition parameter the way browsers encode form data
 * (WHATWG HTML, multipart/form-data encoding): `"`, CR and LF become %22, %0D and %0A;
 * everything else, UTF-8 included, is sent as is.
 */
export function escapeQuoted(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function sanitizeContentType(value: string): string {
  const cleaned = value.replace(/[\r\n]/g, '').trim();
  return cleaned.length > 0 ? cleaned : 'application/octet-stream';
}
