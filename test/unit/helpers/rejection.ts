import * as assert from 'node:assert/strict';
import { TrueConfError } from '../../../src/trueconf/errors';

/** Awaits `promise`, which must reject with a TrueConfError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<TrueConfError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TrueConfError, `expected a TrueConfError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}
