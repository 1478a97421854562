/**
 * Reconnect delays (protocol.md §6.3): 1 s doubling to a 60 s cap, plus up to 1 s of jitter so
 * that many clients dropped at once by a server restart do not come back in lockstep.
 */
export interface BackoffOptions {
  /** Delay before the first retry. Default 1000 ms. */
  initialMs?: number;
  /** Cap of the doubling part. Default 60000 ms. */
  maxMs?: number;
  /** Random extra delay in [0, jitterMs). Default 1000 ms. */
  jitterMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 1000, maxMs: 60_000, jitterMs: 1000 };

/**
 * Delay before retry number `attempt` (1 for the first retry after a loss):
 * `min(initialMs · 2^(attempt−1), maxMs) + floor(random() · jitterMs)`.
 */
export function nextDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initialMs = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const jitterMs = options.jitterMs ?? DEFAULT_BACKOFF.jitterMs;
  // Beyond 2^30 the product is past any sane cap anyway; bounding the exponent keeps it finite.
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const base = Math.min(initialMs * 2 ** exponent, maxMs);
  return base + Math.floor(random() * jitterMs);
}
