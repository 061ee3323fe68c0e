import { Settlement } from './Settlement.js';
import { attachSettlement, detachSettlement } from './sideTable.js';

/**
 * Makes new records stand for old ones: settling the new records settles the old ones.
 *
 * - one old → one new: the new record takes over the old one's settlement (a transformed record);
 * - one old → several new: each new record gets a part; the old one settles when all parts did
 *   (de-aggregation);
 * - several old → one or more new: the old settlements are combined first.
 *
 * Old records without a settlement are skipped; if none has one, nothing is attached. The old records lose
 * their settlements, so nothing settles twice.
 *
 * ## Example
 * ```ts
 * import { carrySettlement } from 'rx-firehose';
 *
 * const transformed = { ...record, data: enrich(record.data) };
 * carrySettlement(record, transformed);
 * ```
 */
export function carrySettlement<T extends object>(from: object | readonly object[], to: T | readonly T[]): void {
  const olds = (Array.isArray(from) ? from : [from]) as readonly object[];
  const news = (Array.isArray(to) ? to : [to]) as readonly T[];
  const settlements: Settlement[] = [];
  for (const old of olds) {
    const s = detachSettlement(old);
    if (s !== undefined) settlements.push(s);
  }
  if (settlements.length === 0) return;
  const combined = settlements.length === 1 ? settlements[0]! : Settlement.all(settlements);
  if (news.length === 0) {
    combined.settle('dropped');
    return;
  }
  if (news.length === 1) {
    attachSettlement(news[0]!, combined);
    return;
  }
  const parts = combined.fork(news.length);
  news.forEach((record, i) => attachSettlement(record, parts[i]!));
}
