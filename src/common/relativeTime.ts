/**
 * Times for people, in their own language: "just now", "5 minutes ago", "yesterday", and the exact
 * time for tooltips. Uses Intl, so the words come from the locale passed in (VS Code's display
 * language) without a translation table of our own.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 365 * DAY;

/** Up to this far in the future counts as "now": the sender's clock may run a little ahead. */
const CLOCK_SKEW_TOLERANCE = 2 * MINUTE;

const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * `timestamp` (ms) relative to `now`: "now" under 45 s, then minutes, hours, days ("yesterday"),
 * weeks, months and years, each rounded the way people say it. Timestamps a little in the future
 * read as "now"; further ahead they read as "in 3 hours".
 */
export function formatRelativeTime(timestamp: number, now: number, locale?: string): string {
  const [value, unit] = relativeTimeParts(timestamp, now);
  return relativeFormat(locale).format(value, unit);
}

/**
 * What formatRelativeTime says, before it is put into words: the value and unit, e.g. `[-5, 'minute']`.
 * Cheap to compute, so a cached text can be checked for being still current.
 */
export function relativeTimeParts(timestamp: number, now: number): [number, Intl.RelativeTimeFormatUnit] {
  let delta = timestamp - now;
  if (delta > 0 && delta <= CLOCK_SKEW_TOLERANCE) {
    delta = 0;
  }
  const abs = Math.abs(delta);
  const sign = delta < 0 ? -1 : 1;
  if (abs < 45 * SECOND) {
    return [0, 'second'];
  }
  if (abs < 45 * MINUTE) {
    return [sign * Math.max(1, Math.round(abs / MINUTE)), 'minute'];
  }
  if (abs < 22 * HOUR) {
    return [sign * Math.max(1, Math.round(abs / HOUR)), 'hour'];
  }
  if (abs < 6.5 * DAY) {
    return [sign * Math.max(1, Math.round(abs / DAY)), 'day'];
  }
  if (abs < 26 * DAY) {
    return [sign * Math.max(1, Math.round(abs / WEEK)), 'week'];
  }
  if (abs < 320 * DAY) {
    return [sign * Math.max(1, Math.round(abs / MONTH)), 'month'];
  }
  return [sign * Math.max(1, Math.round(abs / YEAR)), 'year'];
}

/** The exact date and time, e.g. "Dec 30, 2025, 10:20:31 AM" in English. */
export function formatExactTime(timestamp: number, locale?: string): string {
  const key = locale ?? '';
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(safeLocale(locale), { dateStyle: 'medium', timeStyle: 'medium' });
    dateFormats.set(key, format);
  }
  return format.format(new Date(timestamp));
}

function relativeFormat(locale: string | undefined): Intl.RelativeTimeFormat {
  const key = locale ?? '';
  let format = relativeFormats.get(key);
  if (!format) {
    format = new Intl.RelativeTimeFormat(safeLocale(locale), { numeric: 'auto', style: 'long' });
    relativeFormats.set(key, format);
  }
  return format;
}

/** The locale if Intl knows it, else the default: VS Code's language ids (`zh-cn`, `qps-ploc`) are not all valid BCP 47 tags Intl supports. */
function safeLocale(locale: string | undefined): string | undefined {
  if (!locale) {
    return undefined;
  }
  try {
    return Intl.RelativeTimeFormat.supportedLocalesOf([locale]).length > 0 ? locale : undefined;
  } catch {
    return undefined;
  }
}
