import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import type { LostSettlementError } from './LostSettlementError.js';
import { Settlement, type SettlementOutcome } from './Settlement.js';
import { watchForLoss } from './watchSettlement.js';

/** A source that keeps its records' settlement state in slots of its own (see `SourceRuntime.record`). */
export interface SlotOwner {
  /** Settles `slot`; `false` if it was settled already. */
  settleSlot(slot: number, outcome: SettlementOutcome): boolean;
  /** Whether `slot` is still waiting to be settled. */
  slotOpen(slot: number): boolean;
}

/** What the lost-settlement watch of one record knows (and learns: `carried` once its settlement moved on). */
export interface SlotWatch {
  readonly recordId: string;
  readonly owner: SlotOwner;
  readonly slot: number;
  readonly onLost: (error: LostSettlementError) => void;
  carried: boolean;
}

/** Settled settlements, one per outcome, that a record points to once settled: nothing left to hold. */
const SETTLED: Readonly<Record<SettlementOutcome, Settlement>> = {
  delivered: settledAs('delivered'),
  dropped: settledAs('dropped'),
  failed: settledAs('failed'),
};

function settledAs(outcome: SettlementOutcome): Settlement {
  const settlement = new Settlement(() => undefined);
  settlement.settle(outcome);
  return settlement;
}

/**
 * A record made by a source runtime: the record's fields, plus its settlement as a slot of its source, in
 * private fields. So a record costs one object of one hidden class (no property defined after construction,
 * no settlement object, no closure), its settlement is invisible to equality, spread, JSON and `Object.keys`
 * (a copy does not have it, as with any record), and settling it is a write into the source's typed arrays.
 *
 * A {@link Settlement} object is made for it only when someone asks for one (`settlementOf`: to fork it for
 * `teeBackup`, to carry it to a transformed record); from then on that object is the record's settlement.
 */
export class SlotRecord implements FirehoseRecord {
  readonly recordId: string;
  readonly data: Uint8Array;
  readonly approximateArrivalTimestamp: number;
  /** The source while the slot is the settlement; a {@link Settlement} once one was made or attached; `undefined` when detached. */
  #owner: SlotOwner | Settlement | undefined;
  readonly #slot: number;
  #watch: SlotWatch | undefined;

  constructor(recordId: string, data: Uint8Array, approximateArrivalTimestamp: number, owner: SlotOwner, slot: number) {
    this.recordId = recordId;
    this.data = data;
    this.approximateArrivalTimestamp = approximateArrivalTimestamp;
    this.#owner = owner;
    this.#slot = slot;
    this.#watch = undefined;
  }

  static is(value: unknown): value is SlotRecord {
    return typeof value === 'object' && value !== null && #slot in value;
  }

  /** Settles the record's settlement without making an object for it; `false` if it had none or was settled. */
  static settle(record: SlotRecord, outcome: SettlementOutcome): boolean {
    const owner = record.#owner;
    if (owner === undefined) return false;
    if (owner instanceof Settlement) return owner.settle(outcome);
    // Before telling the source, whose callbacks may throw: the record is settled either way.
    record.#owner = SETTLED[outcome];
    return owner.settleSlot(record.#slot, outcome);
  }

  /** Whether the record has a settlement (settled or not), without making an object for it. */
  static has(record: SlotRecord): boolean {
    return record.#owner !== undefined;
  }

  /** The record's settlement as an object, made now if it is still a slot. */
  static settlementOf(record: SlotRecord): Settlement | undefined {
    const owner = record.#owner;
    if (owner === undefined || owner instanceof Settlement) return owner;
    const slot = record.#slot;
    const settlement = new Settlement((outcome) => void owner.settleSlot(slot, outcome));
    record.#owner = settlement;
    const watch = record.#watch;
    if (watch !== undefined) {
      // The settlement may now leave this record (carried to a transformed one): watch the object instead.
      watch.carried = true;
      watchForLoss(settlement, record.recordId, watch.onLost);
    }
    return settlement;
  }

  /** Replaces the record's settlement (`undefined` detaches it). */
  static replace(record: SlotRecord, settlement: Settlement | undefined): void {
    // A slot replaced before it settled is lost like any replaced settlement: as an object, so its watch sees it.
    if (record.#owner !== undefined && !(record.#owner instanceof Settlement)) SlotRecord.settlementOf(record);
    record.#owner = settlement;
  }

  /** Remembers the watch of the record's slot (see `watchRecordForLoss`). */
  static watched(record: SlotRecord, watch: SlotWatch): void {
    record.#watch = watch;
  }
}
