/**
 * Step 2 of sending a file (seed page, "Upload file to server"): POST the bytes as multipart
 * form data to the server's upload URL. The upload task id from `uploadFile` travels in the
 * `Upload-Task-Id` header — never in the URL — and is the only credential: no Authorization
 * header is sent. The answer carries the `temporalFileId` that `sendFile` then attaches.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { ServerEndpoints } from './endpoints';
import { cancelledError, isTrueConfError, TrueConfError } from './errors';
import type { HttpResponse, HttpTransport } from './http';
import { readTextUpTo } from './http-body';
import { createMultipartBody, MultipartFilePart } from './multipart';
import { isObject } from './validate';

/** Something to upload: its name, its exact size, and a way to read it (once per upload). */
export interface FileSource {
  name: string;
  size: number;
  mimeType?: string;
  open(): Readable;
}

export interface UploadOptions {
  /** An image shown in the chat instead of a generic file icon (seed page: the `preview` part). */
  preview?: FileSource;
  /** File bytes handed to the connection so far, out of `source.size`. */
  onProgress?(sentBytes: number, total: number): void;
  signal?: AbortSignal;
}

const DEFAULT_MIME_TYPE = 'application/octet-stream';
/** The most of the server's answer read: a JSON object with an id, or an error description. */
const MAX_ANSWER_BODY = 64 * 1024;
/**
 * Read size for files on disk. The 64 KiB default costs ~1.5 s of CPU per GB sent (a buffer,
 * a read and a socket write per chunk); 1 MiB chunks take ~0.9 s (bench/results.md, figure 1).
 */
const FILE_READ_CHUNK_BYTES = 1024 * 1024;

/** A FileSource for a file on disk; its size is taken now and checked again while it is read. */
export async function fileSourceFromPath(path: string, options: { name?: string; mimeType?: string } = {}): Promise<FileSource> {
  const info = await stat(path);
  return {
    name: options.name ?? basename(path),
    size: info.size,
    mimeType: options.mimeType,
    open: () => createReadStream(path, { highWaterMark: FILE_READ_CHUNK_BYTES }),
  };
}

/** A FileSource for bytes already in memory (a selection, a generated snippet). */
export function fileSourceFromBuffer(name: string, data: Buffer, mimeType?: string): FileSource {
  return { name, size: data.length, mimeType, open: () => Readable.from([data]) };
}

/** Upload the bytes for an upload task and return the server's `temporalFileId`. */
export async function uploadBytes(
  http: HttpTransport,
  endpoints: ServerEndpoints,
  uploadTaskId: string,
  source: FileSource,
  options: UploadOptions = {},
): Promise<string> {
  const { signal } = options;
  if (signal?.aborted) {
    throw cancelledError(signal.reason);
  }
  let sent = 0;
  const body = createMultipartBody(formParts(source, options.preview), {
    onPartBytes: (field, length) => {
      if (field === 'file') {
        sent += length;
        options.onProgress?.(sent, source.size);
      }
    },
  });

  let response: HttpResponse;
  try {
    response = await http.request(endpoints.uploadUrl, {
      method: 'POST',
      headers: {
        'Upload-Task-Id': uploadTaskId,
        'Content-Type': body.contentType,
        'Content-Length': String(body.contentLength),
      },
      body: body.stream,
      signal,
    });
  } catch (err) {
    body.stream.destroy();
    throw uploadFailure(err, body.sourceError(), source, signal);
  }
  return readUploadAnswer(response, signal);
}

function formParts(source: FileSource, preview: FileSource | undefined): MultipartFilePart[] {
  const parts: MultipartFilePart[] = [toPart('file', source, source.name)];
  if (preview) {
    parts.push(toPart('preview', preview, previewFileName(source.name, preview.name)));
  }
  return parts;
}

function toPart(field: string, source: FileSource, fileName: string): MultipartFilePart {
  return { field, fileName, contentType: source.mimeType ?? DEFAULT_MIME_TYPE, size: source.size, open: () => source.open() };
}

/** The seed page requires the preview's name to differ from the file's. */
export function previewFileName(fileName: string, previewName: string): string {
  return previewName && previewName !== fileName ? previewName : `preview-${fileName}`;
}

function uploadFailure(err: unknown, sourceError: unknown, source: FileSource, signal: AbortSignal | undefined): TrueConfError {
  if (signal?.aborted) {
    return cancelledError(signal.reason);
  }
  if (isTrueConfError(sourceError)) {
    return sourceError; // the file changed size while it was read
  }
  if (sourceError !== undefined) {
    const reason = sourceError instanceof Error ? sourceError.message : String(sourceError);
    return new TrueConfError('uploadRejected', `Could not read "${source.name}": ${reason}`, { cause: sourceError });
  }
  if (isTrueConfError(err) && err.kind !== 'unreachable' && err.kind !== 'timeout') {
    return err;
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new TrueConfError('unreachable', `The upload of "${source.name}" was interrupted; you can send it again. ${reason}`, { cause: err });
}

async function readUploadAnswer(response: HttpResponse, signal: AbortSignal | undefined): Promise<string> {
  let text: string;
  try {
    text = await readTextUpTo(response, MAX_ANSWER_BODY);
  } catch (err) {
    if (signal?.aborted) {
      throw cancelledError(signal.reason);
    }
    throw new TrueConfError('unreachable', 'The connection was lost while the server confirmed the upload. You can send the file again.', { cause: err });
  }
  const json = parseJson(text);
  if (response.status < 200 || response.status >= 300) {
    throw uploadRejected(response.status, json, text);
  }
  const temporalFileId = isObject(json) ? json.temporalFileId : undefined;
  if (typeof temporalFileId !== 'string' || temporalFileId.length === 0) {
    throw new TrueConfError('protocol', 'The server accepted the upload but did not return a file id (temporalFileId).', {
      status: response.status,
    });
  }
  return temporalFileId;
}

/** `The server refused the upload: No upload task ID provided (error 310)`. */
function uploadRejected(status: number, json: unknown, text: string): TrueConfError {
  const fields = isObject(json) ? json : {};
  const description = [fields.error_description, fields.errorDescription, fields.message].find(
    (d): d is string => typeof d === 'string' && d.trim().length > 0,
  );
  const code = [fields.error, fields.errorCode].find((c): c is number => typeof c === 'number');
  const shownText = description?.trim() ?? plainTextSnippet(text);
  const reason = shownText ? `: ${shownText}` : '';
  const suffix = code !== undefined ? `(error ${code})` : `(HTTP ${status})`;
  return new TrueConfError('uploadRejected', `The server refused the upload${reason} ${suffix}`, { status, code });
}

/** A short plain-text body is worth showing; an HTML error page is not. */
function plainTextSnippet(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed.length > 0 && trimmed.length <= 200 && !trimmed.startsWith('<') ? trimmed : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
