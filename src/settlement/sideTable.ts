import type { Settlement } from './Settlement.js';

// Settlements live beside records, not on them, so that records compare equal in marble tests and
// serialise without them. Entries go away with their records.
const settlements = new WeakMap<object, Settlement>();

/** Attaches `settlement` to `record` (replacing any earlier one) and returns the record. */
export function attachSettlement<T extends object>(record: T, settlement: Settlement): T {
  settlements.set(record, settlement);
  return record;
}

/** The settlement attached to `record`, if any. Values that are not objects have none. */
export function settlementOf(record: unknown): Settlement | undefined {
  return typeof record === 'object' && record !== null ? settlements.get(record) : undefined;
}

/** Removes and returns the settlement attached to `record`, if any. */
export function detachSettlement(record: unknown): Settlement | undefined {
  const settlement = settlementOf(record);
  if (settlement !== undefined) settlements.delete(record as object);
  return settlement;
}
