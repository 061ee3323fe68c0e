/**
 * Exponential backoff: how long to wait before a retry.
 *
 * `jitter` is either a fraction (`0.15`: the delay is spread uniformly over ±15%, Firehose's HTTP endpoint
 * rule) or `'full'` (uniform over [0, delay], which spreads many clients' retries apart best and so avoids
 * hammering a recovering server in lockstep).
 */
export interface Backoff {
  /** Delay before the first retry. */
  readonly initialMs: number;
  /** Growth per retry. */
  readonly multiplier: number;
  /** Cap on the delay before jitter. */
  readonly maxMs: number;
  readonly jitter: number | 'full';
}

/** Firehose's backoff: 1 s, ×2, capped at 120 s, ±15% jitter. */
export const FIREHOSE_BACKOFF: Backoff = { initialMs: 1_000, multiplier: 2, maxMs: 120_000, jitter: 0.15 };

/**
 * The delay before retry number `retry` (1 for the first retry): `min(initialMs × multiplier^(retry−1),
 * maxMs)`, then jittered. `random` returns a number in [0, 1) and is injected so tests are exact
 * (`() => 0.5` removes the jitter). Never less than 1 ms.
 *
 * ## Example
 * ```ts
 * import { backoffDelayMs, FIREHOSE_BACKOFF } from 'rx-firehose';
 * backoffDelayMs(3, FIREHOSE_BACKOFF, () => 0.5); // 4000
 * ```
 */
export function backoffDelayMs(retry: number, backoff: Backoff, random: () => number = Math.random): number {
  const base = Math.min(backoff.initialMs * backoff.multiplier ** Math.max(0, retry - 1), backoff.maxMs);
  // At least 1 ms: a retry never runs in the same instant as the failure it follows.
  if (backoff.jitter === 'full') return Math.max(1, Math.round(base * random()));
  return Math.max(1, Math.round(base * (1 + backoff.jitter * (2 * random() - 1))));
}
