import type { Settlement, SettlementOutcome } from './Settlement.js';
import { SlotRecord } from './SlotRecord.js';

// A record's settlement lives in a symbol-keyed, non-enumerable property: invisible to equality in marble
// tests (which compare enumerable keys), to JSON, to Object.keys and to object spread (a copy does not
// inherit it). It is several times cheaper than a WeakMap entry, whose ephemerons weigh on the garbage
// collector at millions of records. Records that cannot take or change the property (frozen, or not
// extensible) use a WeakMap instead, which then takes precedence (null there means "detached"). Records a
// source runtime made (`SlotRecord`) keep theirs in private fields instead, defined by their constructor.
const SETTLEMENT: unique symbol = Symbol('rx-firehose.settlement');
const fallback = new WeakMap<object, Settlement | null>();
let fallbackUsed = false;

type Carrier = { [SETTLEMENT]?: Settlement | undefined };

function writable(record: object): boolean {
  return Object.prototype.hasOwnProperty.call(record, SETTLEMENT) ? !Object.isFrozen(record) : Object.isExtensible(record);
}

function set(record: object, settlement: Settlement | undefined): void {
  if (SlotRecord.is(record)) SlotRecord.replace(record, settlement);
  else if (writable(record)) {
    if (Object.prototype.hasOwnProperty.call(record, SETTLEMENT)) (record as Carrier)[SETTLEMENT] = settlement;
    else if (settlement !== undefined)
      Object.defineProperty(record, SETTLEMENT, { value: settlement, writable: true, configurable: true, enumerable: false });
    if (fallbackUsed) fallback.delete(record);
  } else {
    fallback.set(record, settlement ?? null);
    fallbackUsed = true;
  }
}

/** Attaches `settlement` to `record` (replacing any earlier one) and returns the record. */
export function attachSettlement<T extends object>(record: T, settlement: Settlement): T {
  set(record, settlement);
  return record;
}

/** The settlement attached to `record`, if any. Values that are not objects have none. */
export function settlementOf(record: unknown): Settlement | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  if (SlotRecord.is(record)) return SlotRecord.settlementOf(record);
  if (fallbackUsed) {
    const held = fallback.get(record);
    if (held !== undefined) return held ?? undefined;
  }
  return (record as Carrier)[SETTLEMENT];
}

/** Removes and returns the settlement attached to `record`, if any. */
export function detachSettlement(record: unknown): Settlement | undefined {
  const settlement = settlementOf(record);
  if (settlement !== undefined) set(record as object, undefined);
  return settlement;
}

/**
 * Settles the settlement attached to `record`, if any, with `outcome`; `true` if this call settled it. The
 * engine's per-record step: a record whose settlement is still a slot of its source settles there, with no
 * settlement object made for it.
 */
export function settleAttached(record: unknown, outcome: SettlementOutcome): boolean {
  if (SlotRecord.is(record)) return SlotRecord.settle(record, outcome);
  return settlementOf(record)?.settle(outcome) ?? false;
}

/** Whether `record` has a settlement attached (settled or not), without making an object for a slot. */
export function hasSettlement(record: unknown): boolean {
  if (SlotRecord.is(record)) return SlotRecord.has(record);
  return settlementOf(record) !== undefined;
}
