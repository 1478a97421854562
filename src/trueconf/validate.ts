/**
 * Checks on payloads the server sent. Each reader either returns a value of the promised type
 * or throws TrueConfError('protocol') naming the method and the field, so a server that breaks
 * the protocol is reported as such instead of surfacing later as a confusing TypeError.
 */
import { TrueConfError } from './errors';
import { FileReadyState, FileReadyStateValue } from './types';

export type Fields = Record<string, unknown>;

export function protocolError(context: string, problem: string): TrueConfError {
  return new TrueConfError('protocol', `The server sent an unexpected answer to ${context}: ${problem}.`);
}

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, context: string, what = 'the payload'): Fields {
  if (!isObject(value)) {
    throw protocolError(context, `${what} is not an object`);
  }
  return value;
}

export function readString(obj: Fields, key: string, context: string): string {
  const value = obj[key];
  if (typeof value !== 'string') {
    throw protocolError(context, `"${key}" should be a string`);
  }
  return value;
}

/** A string field that may be missing or null. */
export function readOptionalString(obj: Fields, key: string, context: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw protocolError(context, `"${key}" should be a string`);
  }
  return value;
}

export function readNumber(obj: Fields, key: string, context: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw protocolError(context, `"${key}" should be a number`);
  }
  return value;
}

/** A number field that may be missing or null. */
export function readOptionalNumber(obj: Fields, key: string, context: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw protocolError(context, `"${key}" should be a number`);
  }
  return value;
}

/** A byte count: a whole number, zero or more. */
export function readSize(obj: Fields, key: string, context: string): number {
  const value = readNumber(obj, key, context);
  if (!Number.isInteger(value) || value < 0) {
    throw protocolError(context, `"${key}" should be a whole number of bytes`);
  }
  return value;
}

/** A `readyState` field: absent, or one of 0, 1, 2. */
export function readOptionalReadyState(obj: Fields, context: string): FileReadyStateValue | undefined {
  const value = obj.readyState;
  if (value === undefined || value === null) {
    return undefined;
  }
  if (value !== FileReadyState.NotAvailable && value !== FileReadyState.Uploading && value !== FileReadyState.Ready) {
    throw protocolError(context, '"readyState" should be 0, 1 or 2');
  }
  return value;
}
