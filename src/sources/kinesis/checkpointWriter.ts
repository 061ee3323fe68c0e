import type { SchedulerLike } from 'rxjs';
import { backoffDelayMs, type Backoff } from '../../retry/backoffDelayMs.js';
import type { Checkpoint, CheckpointStore } from './checkpointStores/CheckpointStore.js';
import { errorKindOf } from './errorKindOf.js';
import { sleep } from './sleep.js';

export interface CheckpointWriterOptions {
  readonly scheduler: SchedulerLike;
  readonly backoff: Backoff;
  readonly random: () => number;
  /** Told after each checkpoint is durable. */
  readonly onSaved: (shardId: string, checkpoint: Checkpoint) => void;
  /** Told when a save failed for good (a permanent error, or any error once closed); the checkpoints stay pending. */
  readonly onFailed: (error: unknown) => void;
  /** Told whenever the writer has nothing left to write. */
  readonly onIdle: () => void;
}

/**
 * Writes a stream's checkpoints to its store, coalesced: one save at a time, each with the latest checkpoint
 * of every shard that moved since the last save. Checkpoints may move thousands of times a second (every
 * settled batch); the store sees at most one write in flight, so a slow store means fewer, larger writes,
 * never a queue. A failed save is retried with backoff (a newer checkpoint of the same shard replaces the
 * failed one), forever unless the error is permanent or the writer was closed.
 */
export class CheckpointWriter {
  #pending = new Map<string, Checkpoint>();
  #writing = false;
  readonly #closed = new AbortController();

  constructor(
    private readonly store: CheckpointStore,
    private readonly streamName: string,
    private readonly options: CheckpointWriterOptions,
  ) {}

  /** Nothing pending and no save in flight. */
  get idle(): boolean {
    return !this.#writing && this.#pending.size === 0;
  }

  /** Queues the shard's checkpoint, replacing any pending one of the same shard. */
  set(shardId: string, checkpoint: Checkpoint): void {
    this.#pending.set(shardId, checkpoint);
    if (!this.#writing) void this.#write();
  }

  /** From now on a failed save is not retried (the source was unsubscribed): it is reported and dropped. */
  close(): void {
    this.#closed.abort();
  }

  async #write(): Promise<void> {
    this.#writing = true;
    let retry = 0;
    while (this.#pending.size > 0) {
      const batch = this.#pending;
      this.#pending = new Map();
      try {
        await this.store.save(this.streamName, batch);
      } catch (err) {
        for (const [shardId, checkpoint] of batch) if (!this.#pending.has(shardId)) this.#pending.set(shardId, checkpoint);
        if (errorKindOf(err) === 'permanent' || this.#closed.signal.aborted) {
          this.#writing = false;
          this.options.onFailed(err);
          return;
        }
        await sleep(backoffDelayMs(++retry, this.options.backoff, this.options.random), this.options.scheduler, this.#closed.signal);
        continue;
      }
      retry = 0;
      for (const [shardId, checkpoint] of batch) this.options.onSaved(shardId, checkpoint);
    }
    this.#writing = false;
    this.options.onIdle();
  }
}
