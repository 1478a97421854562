/**
 * A streaming multipart/form-data parser (RFC 7578 / RFC 2046 §5.1.1).
 *
 * The request body is never held in memory: part bodies are handed to a sink as they
 * arrive, and the parser only keeps a tail shorter than the boundary delimiter between
 * chunks. `receiveMultipart()` wires it to files on disk, with backpressure (the
 * request is paused while the disk write stream drains), so uploads of hundreds of
 * megabytes run in flat memory.
 */
import { createWriteStream, promises as fsp, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';

/** Headers of one part, with the Content-Disposition parameters picked out. */
export interface PartInfo {
  /** `name` parameter of Content-Disposition (the form field). */
  name: string;
  /** `filename` (or decoded `filename*`) parameter, when present. */
  filename?: string;
  /** The part's Content-Type header, when present. */
  contentType?: string;
  /** All part headers, lower-cased names. */
  headers: Record<string, string>;
}

/** Receives one part's bytes. `write` may return a promise to apply backpressure. */
export interface PartSink {
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER_BYTES = 16 * 1024;

/** Extract the boundary from a `multipart/form-data; boundary=...` Content-Type, or null. */
export function parseBoundary(contentType: string | undefined): string | null {
  if (!contentType) {
    return null;
  }
  const [type, ...params] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'multipart/form-data') {
    return null;
  }
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) {
      continue;
    }
    if (param.slice(0, eq).trim().toLowerCase() === 'boundary') {
      let value = param.slice(eq + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
        value = value.slice(1, -1);
      }
      // RFC 2046: 1..70 characters.
      return value.length > 0 && value.length <= 70 ? value : null;
    }
  }
  return null;
}

/**
 * Parse a Content-Disposition value: `form-data; name="file"; filename="a.png"`.
 * Quoted strings may contain backslash escapes; browsers instead percent-encode `"`,
 * CR and LF (WHATWG HTML multipart/form-data encoding), so those three are decoded.
 * `filename*=UTF-8''...` (RFC 5987) wins over `filename`.
 */
export function parseContentDisposition(value: string): { type: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  let i = value.indexOf(';');
  const type = (i < 0 ? value : value.slice(0, i)).trim().toLowerCase();
  while (i >= 0 && i < value.length) {
    i++; // skip ';'
    while (i < value.length && /\s/.test(value[i])) {
      i++;
    }
    const eq = value.indexOf('=', i);
    if (eq < 0) {
      break;
    }
    const key = value.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (j < value.length && /\s/.test(value[j])) {
      j++;
    }
    let val = '';
    if (value[j] === '"') {
      j++;
      while (j < value.length && value[j] !== '"') {
        if (value[j] === '\\' && j + 1 < value.length) {
          j++;
        }
        val += value[j];
        j++;
      }
      j++; // closing quote
      val = val.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
    } else {
      const end = value.indexOf(';', j);
      val = (end < 0 ? value.slice(j) : value.slice(j, end)).trim();
    }
    params[key] = val;
    i = value.indexOf(';', j);
  }
  const star = params['filename*'];
  if (star !== undefined) {
    const m = /^([\w!#$%&+^`{}~-]*)'[^']*'(.*)$/.exec(star);
    if (m) {
      try {
        params.filename = decodeURIComponent(m[2]);
      } catch {
        // Leave the plain filename in place when the extended one is broken.
      }
    }
  }
  return { type, params };
}

type State = 'preamble' | 'afterBoundary' | 'headers' | 'body' | 'done';

/**
 * A Writable that parses a multipart body. For each part, `onPart` returns the sink
 * for its bytes, or null to discard them. Errors (malformed body, a sink failing, the
 * body ending before the closing delimiter) fail the stream.
 */
export class MultipartParser extends Writable {
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  /** Unprocessed bytes. Starts with a virtual CRLF so the first delimiter matches like the others. */
  private buf: Buffer = Buffer.from(CRLF);
  private sink: PartSink | null = null;
  private partOpen = false;

  constructor(
    boundary: string,
    private readonly onPart: (info: PartInfo) => PartSink | null,
  ) {
    super();
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.process().then(() => callback(), (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.state !== 'done') {
      callback(new MultipartError('The multipart body ended before its closing boundary'));
      return;
    }
    callback();
  }

  /** True once the closing delimiter was seen. */
  get complete(): boolean {
    return this.state === 'done';
  }

  private async process(): Promise<void> {
    for (;;) {
      switch (this.state) {
        case 'preamble': {
          const at = this.buf.indexOf(this.delimiter);
          if (at < 0) {
            // Keep only what could be the start of a delimiter.
            this.buf = this.buf.subarray(Math.max(0, this.buf.length - (this.delimiter.length - 1)));
            return;
          }
          this.buf = this.buf.subarray(at + this.delimiter.length);
          this.state = 'afterBoundary';
          break;
        }
        case 'afterBoundary': {
          // "--" closes the body; otherwise optional transport padding, then CRLF.
          if (this.buf.length < 2) {
            return;
          }
          if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
            this.state = 'done';
            this.buf = Buffer.alloc(0);
            return;
          }
          let i = 0;
          while (i < this.buf.length && (this.buf[i] === 0x20 || this.buf[i] === 0x09)) {
            i++;
          }
          if (this.buf.length - i < 2) {
            if (i > 256) {
              throw new MultipartError('Malformed boundary line');
            }
            return;
          }
          if (this.buf[i] !== 0x0d || this.buf[i + 1] !== 0x0a) {
            throw new MultipartError('Malformed boundary line');
          }
          // Keep the CRLF: the header block is then "\r\n<headers>\r\n\r\n" (or just "\r\n\r\n").
          this.buf = this.buf.subarray(i);
          this.state = 'headers';
          break;
        }
        case 'headers': {
          const end = this.buf.indexOf(HEADER_END);
          if (end < 0) {
            if (this.buf.length > MAX_HEADER_BYTES) {
              throw new MultipartError('Part headers too large');
            }
            return;
          }
          const info = parsePartHeaders(end <= 2 ? '' : this.buf.subarray(2, end).toString('utf8'));
          this.buf = this.buf.subarray(end + HEADER_END.length);
          this.sink = this.onPart(info);
          this.partOpen = true;
          this.state = 'body';
          break;
        }
        case 'body': {
          const at = this.buf.indexOf(this.delimiter);
          if (at < 0) {
            const keep = this.delimiter.length - 1;
            if (this.buf.length > keep) {
              const data = this.buf.subarray(0, this.buf.length - keep);
              this.buf = this.buf.subarray(this.buf.length - keep);
              await this.sink?.write(data);
            }
            return;
          }
          const data = this.buf.subarray(0, at);
          this.buf = this.buf.subarray(at + this.delimiter.length);
          if (data.length > 0) {
            await this.sink?.write(data);
          }
          await this.closePart();
          this.state = 'afterBoundary';
          break;
        }
        case 'done':
          // Epilogue: ignored.
          this.buf = Buffer.alloc(0);
          return;
      }
    }
  }

  private async closePart(): Promise<void> {
    const sink = this.sink;
    this.sink = null;
    this.partOpen = false;
    await sink?.end();
  }

  /** Whether a part was open when the stream stopped (for cleanup). */
  get midPart(): boolean {
    return this.partOpen;
  }
}

function parsePartHeaders(block: string): PartInfo {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      if (line.trim() !== '') {
        throw new MultipartError(`Malformed part header: ${line.slice(0, 80)}`);
      }
      continue;
    }
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const disposition = headers['content-disposition'];
  if (!disposition) {
    throw new MultipartError('A part has no Content-Disposition header');
  }
  const { type, params } = parseContentDisposition(disposition);
  if (type !== 'form-data' || params.name === undefined) {
    throw new MultipartError('A part has no form-data name');
  }
  return {
    name: params.name,
    filename: params.filename,
    contentType: headers['content-type'],
    headers,
  };
}

/** A part saved by `receiveMultipart`. */
export interface ReceivedPart extends PartInfo {
  /** Bytes in the part body. */
  size: number;
  /** Where the bytes are, for parts kept on disk. */
  path?: string;
  /** Small fields (not kept on disk, no filename) are kept in memory. */
  value?: string;
}

export interface ReceiveOptions {
  /** Directory for the part files. */
  dir: string;
  /** Which parts go to disk. Default: every part with a filename. Other parts with a filename are counted and discarded. */
  keep?: (info: PartInfo) => boolean;
  /** Largest in-memory field value (parts without a filename). Default 64 KiB. */
  maxFieldBytes?: number;
}

/** The source stopped (connection closed or errored) before the body was complete. */
export class BodyAbortedError extends Error {
  constructor(message = 'The connection closed before the multipart body was complete') {
    super(message);
    this.name = 'BodyAbortedError';
  }
}

/**
 * Stream a multipart body into files under `opts.dir`. Resolves with the parts in body
 * order once the closing delimiter was parsed and every file is flushed. On failure the
 * files written so far are deleted, then it rejects with:
 * - `BodyAbortedError` when the source closed or failed mid-body;
 * - `MultipartError` (or a disk error) otherwise — in that case the rest of the source
 *   is drained (not destroyed), so an HTTP server can still answer the request.
 */
export function receiveMultipart(source: Readable, boundary: string, opts: ReceiveOptions): Promise<ReceivedPart[]> {
  const parts: ReceivedPart[] = [];
  const open: WriteStream[] = [];
  const maxField = opts.maxFieldBytes ?? 64 * 1024;

  const parser = new MultipartParser(boundary, (info) => {
    const part: ReceivedPart = { ...info, size: 0 };
    parts.push(part);
    const toDisk = opts.keep ? opts.keep(info) : info.filename !== undefined;
    if (toDisk) {
      const path = join(opts.dir, `part-${randomUUID()}`);
      part.path = path;
      const out = createWriteStream(path);
      open.push(out);
      let failure: Error | null = null;
      out.on('error', (err) => {
        failure = err;
      });
      return {
        async write(chunk) {
          if (failure) {
            throw failure;
          }
          part.size += chunk.length;
          if (!out.write(chunk)) {
            await once(out, 'drain');
          }
        },
        async end() {
          if (failure) {
            throw failure;
          }
          await new Promise<void>((resolve, reject) => {
            out.once('error', reject);
            out.end(() => resolve());
          });
        },
      };
    }
    if (info.filename !== undefined) {
      return { write: (chunk) => void (part.size += chunk.length), end: () => undefined };
    }
    const chunks: Buffer[] = [];
    return {
      write(chunk) {
        part.size += chunk.length;
        if (part.size > maxField) {
          throw new MultipartError(`Field "${info.name}" is too large`);
        }
        chunks.push(chunk);
      },
      end() {
        part.value = Buffer.concat(chunks).toString('utf8');
      },
    };
  });

  return new Promise<ReceivedPart[]>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) {
        return;
      }
      settled = true;
      for (const out of open) {
        out.destroy();
      }
      const paths = parts.map((p) => p.path).filter((p): p is string => p !== undefined);
      void Promise.all(paths.map((p) => fsp.rm(p, { force: true }))).finally(() => reject(err));
    };
    parser.on('error', (err) => {
      // Readable.pipe unpipes on a destination error; drain the rest so the caller can answer.
      source.unpipe(parser);
      source.resume();
      fail(err);
    });
    parser.on('finish', () => {
      if (settled) {
        return;
      }
      settled = true;
      resolve(parts);
    });
    source.on('error', () => {
      parser.destroy();
      fail(new BodyAbortedError());
    });
    source.on('close', () => {
      if (!source.readableEnded) {
        parser.destroy();
        fail(new BodyAbortedError());
      }
    });
    source.pipe(parser);
  });
}
