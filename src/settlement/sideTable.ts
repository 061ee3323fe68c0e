import type { Settlement } from './Settlement.js';

// A record's settlement lives in a symbol-keyed, non-enumerable property: invisible to equality in marble
// tests (which compare enumerable keys), to JSON, to Object.keys and to object spread (a copy does not
// inherit it). It is several times cheaper than a WeakMap entry, whose ephemerons weigh on the garbage
// collector at millions of records. Objects that cannot take a property (frozen) use a WeakMap instead.
const SETTLEMENT: unique symbol = Symbol('rx-firehose.settlement');
const frozen = new WeakMap<object, Settlement>();
let frozenCount = 0;

type Carrier = { [SETTLEMENT]?: Settlement | undefined };

/** Attaches `settlement` to `record` (replacing any earlier one) and returns the record. */
export function attachSettlement<T extends object>(record: T, settlement: Settlement): T {
  if (Object.prototype.hasOwnProperty.call(record, SETTLEMENT)) (record as Carrier)[SETTLEMENT] = settlement;
  else if (Object.isExtensible(record)) Object.defineProperty(record, SETTLEMENT, { value: settlement, writable: true, configurable: true, enumerable: false });
  else {
    frozen.set(record, settlement);
    frozenCount++;
  }
  return record;
}

/** The settlement attached to `record`, if any. Values that are not objects have none. */
export function settlementOf(record: unknown): Settlement | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  return (record as Carrier)[SETTLEMENT] ?? (frozenCount > 0 ? frozen.get(record) : undefined);
}

/** Removes and returns the settlement attached to `record`, if any. */
export function detachSettlement(record: unknown): Settlement | undefined {
  const settlement = settlementOf(record);
  if (settlement !== undefined) {
    if ((record as Carrier)[SETTLEMENT] !== undefined) (record as Carrier)[SETTLEMENT] = undefined;
    else frozen.delete(record as object);
  }
  return settlement;
}
