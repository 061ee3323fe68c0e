import { firstValueFrom, from, isObservable, lastValueFrom, type ObservableInput } from 'rxjs';
import type { BuiltRequest, DeliveryAck, DeliveryAttempt, DeliveryRequest, Destination, ItemFailure, LegacyDestination } from './Destination.js';

/** Batches whose requests are remembered between attempts (a batch that gave up is never asked for again). */
const MAX_MEMOS = 4096;

interface Memo<R extends DeliveryRequest> {
  /** The batch the request was built from: failure indexes are into it. */
  readonly records: readonly unknown[];
  /** What the next attempt sends: the built request, or the smaller retry of a partial outcome. */
  next: R;
}

/**
 * Drives a destination of the contract v2 (`build` + `send`) through the one-call contract
 * (`deliver`) that `deliverTo` still takes while the engine moves onto v2.
 *
 * The first attempt of a batch builds its request once; every later attempt of the same batch id sends the
 * request remembered for it: the same request after a failed send, the smaller `retry` after a partial
 * outcome. So retries resend the very same bytes and ids, as the contract promises. Failure indexes are
 * translated between the batch the request was built from and the records `deliverTo` passes to a retry
 * (the failed ones, by identity). A batch is forgotten once it is accepted or failed for good.
 */
export function asLegacyDestination<R extends DeliveryRequest, T = unknown>(destination: Destination<R>): LegacyDestination<T> {
  const memos = new Map<string, Memo<R>>();
  const forget = (batchId: string): void => void memos.delete(batchId);
  return {
    name: destination.name,
    ...(destination.errorOutputType === undefined ? {} : { errorOutputType: destination.errorOutputType }),
    ...(destination.retryDurationMs === undefined ? {} : { retryDurationMs: destination.retryDurationMs }),
    ...(destination.failureFields === undefined ? {} : { failureFields: (record: T) => destination.failureFields!(record) }),
    async deliver(batch: readonly T[], attempt: DeliveryAttempt): Promise<DeliveryAck> {
      let memo = memos.get(attempt.batchId);
      const failed: ItemFailure[] = [];
      if (memo === undefined) {
        const built = await firstOf(destination.build(batch, { batchId: attempt.batchId, scheduler: attempt.scheduler, signal: attempt.signal }));
        for (const f of built.failed ?? []) failed.push({ ...f, retriable: false });
        if (built.request === undefined) return { failed };
        memo = { records: batch, next: built.request };
        memos.set(attempt.batchId, memo);
        while (memos.size > MAX_MEMOS) memos.delete(memos.keys().next().value!);
      }
      const { records } = memo;
      // Where each record of the original batch is in this attempt's batch (the failed ones, on a retry).
      const positions = records === batch ? undefined : new Map<unknown, number>(batch.map((record, i) => [record, i]));
      const positionOf = (index: number): number => (positions === undefined ? index : (positions.get(records[index]) ?? -1));

      let outcome;
      try {
        outcome = await lastValueFrom(from(destination.send(memo.next, attempt)));
      } catch (err) {
        if ((err as { permanent?: unknown } | null)?.permanent === true) forget(attempt.batchId);
        throw err;
      }
      if (outcome.status === 'accepted' || outcome.retry === undefined) forget(attempt.batchId);
      else memo.next = outcome.retry;
      if (outcome.status === 'partial') {
        for (const f of outcome.failed) {
          const index = positionOf(f.index);
          if (index >= 0) failed.push({ ...f, index });
        }
      }
      failed.sort((a, b) => a.index - b.index);
      return { ...(outcome.location === undefined ? {} : { location: outcome.location }), ...(failed.length === 0 ? {} : { failed }) };
    },
  };
}

/** The builder's result, whether it returned it, a Promise of it, or an Observable (whose first value counts). */
async function firstOf<R extends DeliveryRequest>(built: ObservableInput<BuiltRequest<R>> | BuiltRequest<R>): Promise<BuiltRequest<R>> {
  if (isObservable(built)) return firstValueFrom(built);
  if (typeof (built as { then?: unknown }).then === 'function') return await (built as PromiseLike<BuiltRequest<R>>);
  return built as BuiltRequest<R>;
}
