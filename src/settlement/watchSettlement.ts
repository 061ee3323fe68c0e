import { LostSettlementError } from './LostSettlementError.js';
import type { Settlement } from './Settlement.js';

/** What is known of a watched settlement once it is gone: nothing that keeps it alive. */
interface Watched {
  readonly recordId: string | undefined;
  readonly onLost: ((error: LostSettlementError) => void) | undefined;
}

// Record ids of watched records not settled yet (a count, since a record may be replayed under its id).
const outstanding = new Map<string, number>();

const forget = (recordId: string | undefined): void => {
  if (recordId === undefined) return;
  const n = outstanding.get(recordId) ?? 0;
  if (n <= 1) outstanding.delete(recordId);
  else outstanding.set(recordId, n - 1);
};

// A settlement is referenced by its record (and a forked parent by its parts). When the garbage collector
// takes one that never settled, nothing can settle it any more: its record was dropped or copied.
const registry = new FinalizationRegistry<Watched>((watched) => {
  forget(watched.recordId);
  const error = new LostSettlementError([watched.recordId ?? '(a record without recordId)'], 'garbage collector');
  process.emitWarning(error.message, { type: 'LostSettlementWarning', code: 'RX_FIREHOSE_LOST_SETTLEMENT' });
  watched.onLost?.(error);
});

/**
 * Watches a source's settlement so that losing it is loud, not a silent stall:
 *
 * 1. while unsettled, the record's id is known as outstanding, so `deliverTo` and `teeBackup` recognise a
 *    copy of the record that arrives without it ({@link isOutstandingCopy}) and error with
 *    {@link LostSettlementError} at once;
 * 2. if the settlement is garbage-collected unsettled (the record was copied or dropped and is gone), a
 *    `LostSettlementWarning` is emitted on the process and `onLost` is told (the source errors with it).
 *
 * Settling ends the watch.
 */
export function watchSettlement(record: object, settlement: Settlement, onLost?: (error: LostSettlementError) => void): void {
  const id = (record as { recordId?: unknown }).recordId;
  const recordId = typeof id === 'string' ? id : undefined;
  if (recordId !== undefined) outstanding.set(recordId, (outstanding.get(recordId) ?? 0) + 1);
  const token = {};
  registry.register(settlement, { recordId, onLost }, token);
  settlement.whenSettled(() => {
    registry.unregister(token);
    forget(recordId);
  });
}

/** Whether `record`, which has no settlement, is a copy of a watched record still waiting to settle. */
export function isOutstandingCopy(record: unknown): boolean {
  if (outstanding.size === 0 || typeof record !== 'object' || record === null) return false;
  const id = (record as { recordId?: unknown }).recordId;
  return typeof id === 'string' && outstanding.has(id);
}
