/**
 * Downloading a file's bytes (protocol.md §5): a plain GET of the capability URL the server
 * handed out, streamed into a temporary file beside the destination and renamed into place
 * only when every byte is there — so the destination never holds a partial or wrong file.
 *
 * The URL carries its credential in the query string; it is never logged or put in an error.
 */
import { randomBytes } from 'node:crypto';
import { FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Logger, nullLogger } from '../common/logger';
import { cancelledError, isTrueConfError, TrueConfError } from './errors';
import type { HttpResponse, HttpTransport } from './http';
import { discardBody } from './http-body';
import { formatBytes } from './limits';

export interface DownloadOptions {
  /** The file's size as the server announced it; a body of any other length is an error. */
  expectedSize?: number;
  /** Refuse files larger than this many bytes (checked before and while downloading). */
  maxBytes?: number;
  /** The file's MIME type when known: only an HTML file may arrive as `text/html`. */
  expectedMimeType?: string;
  signal?: AbortSignal;
  /** Bytes stored so far, out of the expected total when it is known. Restarts from 0 if the download restarts. */
  onProgress?(receivedBytes: number, totalBytes: number | undefined): void;
  logger?: Logger;
}

export interface DownloadResult {
  bytes: number;
}

/** One automatic retry (a resume when the server supports ranges, else a restart). */
const MAX_ATTEMPTS = 2;

/** What is known about the partial file across attempts. */
interface Partial {
  received: number;
  /** The server said `Accept-Ranges: bytes`, so an interrupted download can resume. */
  acceptsRanges: boolean;
  /** ETag or Last-Modified of the first response, sent as If-Range so a resume cannot mix two versions. */
  validator?: string;
}

interface Context {
  http: HttpTransport;
  url: string;
  tempPath: string;
  name: string;
  options: DownloadOptions;
}

/** The transfer stopped before the last byte (connection lost, body shorter than announced): worth one retry. */
class Interrupted extends Error {}

export async function downloadToFile(http: HttpTransport, url: string, destPath: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const { signal, expectedSize, maxBytes } = options;
  if (signal?.aborted) {
    throw cancelledError(signal.reason);
  }
  const name = basename(destPath);
  if (expectedSize !== undefined && maxBytes !== undefined && expectedSize > maxBytes) {
    throw tooLargeError(name, maxBytes);
  }
  const tempPath = join(dirname(destPath), `.${name}.${randomBytes(6).toString('hex')}.part`);
  const ctx: Context = { http, url, tempPath, name, options };
  const partial: Partial = { received: 0, acceptsRanges: false };
  try {
    await fetchWithRetry(ctx, partial);
    await rename(tempPath, destPath).catch((err: Error) => {
      throw saveError(name, err);
    });
    return { bytes: partial.received };
  } catch (err) {
    await rm(tempPath, { force: true });
    throw err;
  }
}

async function fetchWithRetry(ctx: Context, partial: Partial): Promise<void> {
  const logger = ctx.options.logger ?? nullLogger;
  for (let attempt = 1; ; attempt++) {
    try {
      await fetchOnce(ctx, partial);
      return;
    } catch (err) {
      if (!(err instanceof Interrupted)) {
        throw err;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new TrueConfError('download', `The download of "${ctx.name}" stopped early twice: ${err.message}. Try again later.`, { cause: err });
      }
      const how = partial.acceptsRanges && partial.received > 0 ? `resuming at byte ${partial.received}` : 'starting over';
      logger.info(`Download of "${ctx.name}" stopped early: ${err.message}; ${how}.`);
    }
  }
}

async function fetchOnce(ctx: Context, partial: Partial): Promise<void> {
  const { expectedSize, maxBytes } = ctx.options;
  const resumeFrom = partial.acceptsRanges ? partial.received : 0;
  const response = await ctx.http.request(ctx.url, {
    method: 'GET',
    headers: rangeHeaders(resumeFrom, partial.validator),
    signal: ctx.options.signal,
  });
  try {
    if (resumeFrom > 0 && response.status === 416) {
      throw fewerBytesThanAnnounced(ctx, response, resumeFrom);
    }
    checkResponse(ctx, response);
    const append = resumeFrom > 0 && isResumedAt(response, resumeFrom);
    if (response.status === 206 && !append) {
      throw new TrueConfError('download', `The server sent an unexpected part of "${ctx.name}".`, { status: 206 });
    }
    partial.received = append ? resumeFrom : 0;
    partial.acceptsRanges = header(response, 'accept-ranges')?.toLowerCase() === 'bytes';
    if (!append) {
      partial.validator = validatorOf(response);
    }
    const bodyLength = contentLength(response);
    const total = expectedSize ?? (bodyLength === undefined ? undefined : partial.received + bodyLength);
    if (total !== undefined && maxBytes !== undefined && total > maxBytes) {
      throw tooLargeError(ctx.name, maxBytes);
    }
    await storeBody(ctx, response, partial, append, total);
    if (total !== undefined && partial.received < total) {
      throw new Interrupted(`only ${partial.received} of ${total} bytes arrived`);
    }
  } finally {
    discardBody(response);
  }
}

/** What If-Range may carry: a strong ETag (RFC 9110 §13.1.5), else Last-Modified. */
function validatorOf(response: HttpResponse): string | undefined {
  const etag = header(response, 'etag');
  return etag && !etag.startsWith('W/') ? etag : header(response, 'last-modified');
}

function rangeHeaders(resumeFrom: number, validator: string | undefined): Record<string, string> {
  if (resumeFrom === 0) {
    return {};
  }
  return validator ? { Range: `bytes=${resumeFrom}-`, 'If-Range': validator } : { Range: `bytes=${resumeFrom}-` };
}

/** A 206 whose Content-Range starts where the partial file ends. */
function isResumedAt(response: HttpResponse, offset: number): boolean {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(header(response, 'content-range') ?? '');
  return response.status === 206 && match !== null && Number(match[1]) === offset;
}

function checkResponse(ctx: Context, response: HttpResponse): void {
  const { status } = response;
  if (status === 403 || status === 404 || status === 410) {
    throw new TrueConfError('download', `The server answered HTTP ${status} for "${ctx.name}" — the link may have expired.`, { status });
  }
  if (status < 200 || status >= 300) {
    throw new TrueConfError('download', `The download of "${ctx.name}" failed: the server answered HTTP ${status}.`, { status });
  }
  const contentType = header(response, 'content-type')?.toLowerCase() ?? '';
  if (contentType.startsWith('text/html') && !isHtmlFile(ctx.name, ctx.options.expectedMimeType)) {
    throw new TrueConfError('download', `The server returned a web page instead of "${ctx.name}" — the link may have expired.`, { status });
  }
}

/**
 * A resume the server cannot satisfy (416): it has no bytes past those already stored, so the
 * file is shorter than getFileInfo said. Retrying cannot help; say what is wrong instead of "HTTP 416".
 */
function fewerBytesThanAnnounced(ctx: Context, response: HttpResponse, stored: number): TrueConfError {
  const total = /^bytes \*\/(\d+)$/.exec(header(response, 'content-range') ?? '')?.[1];
  const expected = ctx.options.expectedSize;
  const has = total !== undefined ? `only ${total} bytes` : `no more than the ${stored} bytes received`;
  const announced = expected !== undefined ? `, not the ${expected} it announced` : '';
  return new TrueConfError('download', `The server has ${has} of "${ctx.name}"${announced}.`, { status: 416 });
}

function isHtmlFile(name: string, mimeType: string | undefined): boolean {
  return mimeType?.toLowerCase().startsWith('text/html') === true || ['.html', '.htm'].includes(extname(name).toLowerCase());
}

/**
 * Stream the body into the temporary file, enforcing the size caps as bytes arrive. A chunk
 * counts as received once it is written, so after a failure `partial.received` is exactly
 * what the file holds and a resume continues from there.
 */
async function storeBody(ctx: Context, response: HttpResponse, partial: Partial, append: boolean, total: number | undefined): Promise<void> {
  const { signal, maxBytes, expectedSize, onProgress } = ctx.options;
  const handle = await open(ctx.tempPath, append ? 'a' : 'w').catch((err: Error) => {
    throw saveError(ctx.name, err);
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const after = partial.received + chunk.length;
      if (maxBytes !== undefined && after > maxBytes) {
        callback(tooLargeError(ctx.name, maxBytes));
      } else if (expectedSize !== undefined && after > expectedSize) {
        callback(new TrueConfError('download', `The server sent more than the ${expectedSize} bytes "${ctx.name}" should have.`));
      } else {
        writeAll(handle, chunk).then(
          () => {
            partial.received = after;
            onProgress?.(after, total);
            callback();
          },
          (err: Error) => callback(saveError(ctx.name, err)),
        );
      }
    },
  });
  try {
    await pipeline(response.body, sink, { signal });
  } catch (err) {
    if (signal?.aborted) {
      throw cancelledError(signal.reason);
    }
    if (isTrueConfError(err)) {
      throw err; // over a size cap, or the disk failed
    }
    throw new Interrupted(`the connection was lost after ${partial.received} bytes`);
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    offset += (await handle.write(chunk, offset)).bytesWritten;
  }
}

function saveError(name: string, err: Error): TrueConfError {
  return new TrueConfError('download', `Could not save "${name}": ${err.message}`, { cause: err });
}

export function tooLargeError(name: string, maxBytes: number): TrueConfError {
  return new TrueConfError('download', `"${name}" is larger than the download limit of ${formatBytes(maxBytes)}.`);
}

function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function contentLength(response: HttpResponse): number | undefined {
  const value = Number(header(response, 'content-length'));
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}
