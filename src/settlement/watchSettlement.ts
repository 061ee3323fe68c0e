import { LostSettlementError } from './LostSettlementError.js';
import type { Settlement } from './Settlement.js';
import { SlotRecord, type SlotOwner, type SlotWatch } from './SlotRecord.js';

/** A source that hands out settlements, as the lost-settlement checks see it. */
export interface WatchedSource {
  /** Whether a record with this id came from this source (by its id scheme, e.g. `line-<n>`). */
  owns(recordId: string): boolean;
  /** Whether the source waits for records it emitted to settle. */
  waiting(): boolean;
}

const sources = new Set<WatchedSource>();

/** What is known of a watched settlement once it is gone: nothing that keeps it alive. */
interface Watched {
  readonly recordId: string | undefined;
  readonly onLost: ((error: LostSettlementError) => void) | undefined;
}

// A settlement is referenced by its record (and a forked parent by its parts). When the garbage collector
// takes one that never settled, nothing can settle it any more: its record was dropped or copied.
const registry = new FinalizationRegistry<Watched>((watched) => {
  const error = new LostSettlementError([watched.recordId ?? '(a record without recordId)'], 'garbage collector');
  process.emitWarning(error.message, { type: 'LostSettlementWarning', code: 'RX_FIREHOSE_LOST_SETTLEMENT' });
  watched.onLost?.(error);
});

/**
 * Registers a source whose records carry settlements, until the returned function is called. While the
 * source waits for its records, `deliverTo` and `teeBackup` recognise a copy of one of them that arrives
 * without its settlement ({@link isOutstandingCopy}) and error with {@link LostSettlementError} at once.
 * Costs nothing per record: only records that arrive without a settlement are checked.
 */
export function registerSource(source: WatchedSource): () => void {
  sources.add(source);
  return () => void sources.delete(source);
}

/**
 * Asks the garbage collector to report `settlement` if it is collected unsettled (its record was dropped
 * or copied and is gone): a `LostSettlementWarning` is emitted on the process and `onLost` is told.
 * Registration costs a few microseconds, so sources watch a sample of their records (and always the one
 * that fills their budget, which is the one a stalled source waits on).
 */
export function watchForLoss(settlement: Settlement, recordId: string | undefined, onLost?: (error: LostSettlementError) => void): void {
  const token = {};
  registry.register(settlement, { recordId, onLost }, token);
  settlement.whenSettled(() => registry.unregister(token));
}

/** Whether `record`, which has no settlement, is a copy of a record that a registered source still waits for. */
export function isOutstandingCopy(record: unknown): boolean {
  if (sources.size === 0 || typeof record !== 'object' || record === null) return false;
  const id = (record as { recordId?: unknown }).recordId;
  if (typeof id !== 'string') return false;
  for (const source of sources) if (source.waiting() && source.owns(id)) return true;
  return false;
}

// A record whose settlement is a slot of its source: when the garbage collector takes the record while its
// slot is open and its settlement did not move to another record, nothing can settle the slot any more.
const records = new FinalizationRegistry<SlotWatch>((watch) => {
  if (watch.carried || !watch.owner.slotOpen(watch.slot)) return;
  const error = new LostSettlementError([watch.recordId], 'garbage collector');
  process.emitWarning(error.message, { type: 'LostSettlementWarning', code: 'RX_FIREHOSE_LOST_SETTLEMENT' });
  watch.onLost(error);
});

/**
 * {@link watchForLoss} for a record whose settlement is slot `slot` of `owner`: reported if the record is
 * collected while the slot is open (and its settlement was not carried to another record, which is then
 * watched instead).
 */
export function watchRecordForLoss(record: SlotRecord, owner: SlotOwner, slot: number, onLost: (error: LostSettlementError) => void): void {
  const watch: SlotWatch = { recordId: record.recordId, owner, slot, onLost, carried: false };
  SlotRecord.watched(record, watch);
  records.register(record, watch);
}
