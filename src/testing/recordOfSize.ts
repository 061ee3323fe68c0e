import type { FirehoseRecord } from '../records/FirehoseRecord.js';

/**
 * A record whose `data` is exactly `bytes` bytes (of `fill`, default `x`), for tests of byte budgets.
 *
 * ## Example
 * ```ts
 * import { recordOfSize } from 'rx-firehose/testing';
 * const r = recordOfSize(100, { recordId: 'a', arrivalMs: 0 }); // r.data.length === 100
 * ```
 */
export function recordOfSize(bytes: number, options: { recordId?: string; arrivalMs?: number; fill?: string } = {}): FirehoseRecord {
  if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`recordOfSize: bytes must be an integer ≥ 0; got ${bytes}`);
  const fill = (options.fill ?? 'x').charCodeAt(0) & 0xff;
  return {
    recordId: options.recordId ?? `r${bytes}`,
    data: new Uint8Array(bytes).fill(fill),
    approximateArrivalTimestamp: options.arrivalMs ?? 0,
  };
}
