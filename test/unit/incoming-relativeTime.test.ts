import * as assert from 'node:assert/strict';
import { formatExactTime, formatRelativeTime } from '../../src/common/relativeTime';

describe('common/relativeTime', () => {
  const now = Date.UTC(2025, 11, 30, 12, 0, 0);
  const SECOND = 1000;
  const MINUTE = 60 * SECOND;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;

  const cases: Array<[number, string]> = [
    [0, 'now'],
    [-10 * SECOND, 'now'],
    [-44 * SECOND, 'now'],
    [-50 * SECOND, '1 minute ago'],
    [-5 * MINUTE, '5 minutes ago'],
    [-44 * MINUTE, '44 minutes ago'],
    [-50 * MINUTE, '1 hour ago'],
    [-3 * HOUR, '3 hours ago'],
    [-21 * HOUR, '21 hours ago'],
    [-23 * HOUR, 'yesterday'],
    [-36 * HOUR, '2 days ago'],
    [-6 * DAY, '6 days ago'],
    [-7 * DAY, 'last week'],
    [-20 * DAY, '3 weeks ago'],
    [-45 * DAY, '2 months ago'],
    [-200 * DAY, '7 months ago'],
    [-400 * DAY, 'last year'],
    [-3 * 365 * DAY, '3 years ago'],
  ];

  for (const [delta, expected] of cases) {
    it(`says "${expected}" for ${delta / SECOND} s`, () => {
      assert.equal(formatRelativeTime(now + delta, now, 'en'), expected);
    });
  }

  it('treats a sender clock slightly ahead as now, further ahead as the future', () => {
    assert.equal(formatRelativeTime(now + 90 * SECOND, now, 'en'), 'now');
    assert.equal(formatRelativeTime(now + 3 * HOUR, now, 'en'), 'in 3 hours');
  });

  it('speaks the locale it is given', () => {
    assert.equal(formatRelativeTime(now - 5 * MINUTE, now, 'de'), 'vor 5 Minuten');
    assert.equal(formatRelativeTime(now - 23 * HOUR, now, 'ru'), 'вчера');
  });

  it('falls back to the default locale for ids Intl does not know', () => {
    assert.doesNotThrow(() => formatRelativeTime(now - 5 * MINUTE, now, 'qps-ploc'));
    assert.doesNotThrow(() => formatRelativeTime(now - 5 * MINUTE, now, 'not a locale!'));
    assert.doesNotThrow(() => formatExactTime(now, 'not a locale!'));
  });

  it('formats the exact time with date and time', () => {
    const text = formatExactTime(now, 'en');
    assert.match(text, /2025/);
    assert.match(text, /Dec/);
  });
});
