/** What a source defers while a batch settles: its accounting, done once at the batch's end. */
export interface DeferredSettling {
  /** Releases what the records settled in the batch held, and moves the checkpoint, once. */
  flushSettled(): void;
}

let depth = 0;
let deferred: DeferredSettling[] = [];

/** Whether a batch is settling now: a source may then defer its accounting to {@link deferUntilSettled}. */
export function settlingBatch(): boolean {
  return depth > 0;
}

/** Runs `source.flushSettled()` once the batch settling now has settled all its records. */
export function deferUntilSettled(source: DeferredSettling): void {
  deferred.push(source);
}

/**
 * Settles a batch's records in `settle` and then does each source's accounting once for all of them: the
 * budget is released once, `onInFlight` told once, and the checkpoint moved once per batch, not per record.
 * Nested calls join the outermost. A source's error (a callback that throws) propagates once every source
 * flushed, so none is left holding bytes of records that settled.
 */
export function settleBatch(settle: () => void): void {
  depth++;
  let failure: { error: unknown } | undefined;
  try {
    settle();
  } catch (error) {
    failure = { error };
  } finally {
    if (--depth === 0) {
      // Depth is 0 again: a callback that settles more records during a flush settles them at once.
      for (let i = 0; i < deferred.length; i++) {
        try {
          deferred[i]!.flushSettled();
        } catch (error) {
          failure ??= { error };
        }
      }
      deferred = [];
    }
  }
  if (failure !== undefined) throw failure.error;
}
