import * as assert from 'node:assert/strict';
import { nextDelay } from '../../src/trueconf/backoff';

describe('trueconf/backoff', () => {
  const noJitter = () => 0;

  it('starts at 1 s and doubles per attempt', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => nextDelay(n, {}, noJitter)),
      [1000, 2000, 4000, 8000, 16000, 32000],
    );
  });

  it('stops doubling at the 60 s cap, even for huge attempt numbers', () => {
    assert.equal(nextDelay(7, {}, noJitter), 60_000);
    assert.equal(nextDelay(10_000, {}, noJitter), 60_000);
  });

  it('adds jitter in [0, jitterMs) on top of the capped delay', () => {
    assert.equal(nextDelay(1, {}, () => 0.5), 1500);
    assert.equal(nextDelay(100, {}, () => 0.999999), 60_999);
    assert.equal(nextDelay(2, { jitterMs: 0 }, () => 0.9), 2000);
  });

  it('honours custom initial and maximum delays', () => {
    const options = { initialMs: 20, maxMs: 100, jitterMs: 0 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => nextDelay(n, options)),
      [20, 40, 80, 100, 100],
    );
  });

  it('treats attempt numbers below 1 as the first attempt', () => {
    assert.equal(nextDelay(0, {}, noJitter), 1000);
    assert.equal(nextDelay(-3, {}, noJitter), 1000);
  });
});
