import { interval, timer, type Subscription } from 'rxjs';
import type { MetricSink } from '../../../metrics/MetricSink.js';
import type { RetryContext } from '../callWithRetries.js';
import { STOPPED } from '../callWithRetries.js';
import { SHARD_END } from '../checkpointStores/CheckpointStore.js';
import { errorKindOf } from '../errorKindOf.js';
import type { KinesisReadClient } from '../KinesisReadClient.js';
import { KinesisSourceError } from '../KinesisSourceError.js';
import { listShards } from '../listShards.js';
import type { ShardPosition, StartingPosition } from '../shardTracker.js';
import { chooseLeasesToTake } from './chooseLeasesToTake.js';
import type { Lease } from './Lease.js';
import { REFUSED, type LeaseTable } from './leaseTable.js';
import type { LeaseConfig } from './options.js';

/** What the coordinator tells the source. */
export interface LeaseHooks {
  /** A lease is held: read the shard from `position`. */
  readonly onAcquired: (shardId: string, position: ShardPosition) => void;
  /** The lease went to another worker (or could not be renewed in time): stop reading the shard at once. */
  readonly onLost: (shardId: string) => void;
  /** The table refuses for good (deleted, no permission): the source ends with this error. */
  readonly onError: (error: KinesisSourceError) => void;
}

/** The stream's side: how shards are listed, where a shard without a checkpoint starts, metrics. */
export interface LeaseStreamContext extends Omit<RetryContext, 'signal'> {
  readonly client: KinesisReadClient;
  readonly streamRef: { readonly StreamName?: string; readonly StreamARN?: string };
  readonly startingPosition: StartingPosition;
  readonly shardSyncIntervalMs: number;
  /** Receives `LeasesHeld` (after each renewal and balance round), `LeasesTaken`, `LeasesLost`. */
  readonly metrics: MetricSink;
}

/**
 * A stolen lease is read only after this many renewal intervals: its previous owner, alive, learns of the loss
 * at its next renewal (within one interval) plus that call's latency, and stops reading the shard at once.
 */
const STOLEN_START_RENEWALS = 2;

interface Held {
  counter: number;
  /** When the lease was last renewed (or taken), on the scheduler. */
  renewedAtMs: number;
  /** A stolen lease is read only after two renewal intervals: by then its previous owner learned of the loss. */
  delayedStart: Subscription | undefined;
}

/**
 * One worker's side of the lease protocol for one stream, as the KCL runs it:
 *
 * ```
 * every shardSyncIntervalMs   ListShards → a lease for every shard without one (with its parents)
 * every balanceIntervalMs     read every lease → take free/expired ones up to the fair share, else steal one
 * every renewalIntervalMs     renew each held lease (counter + 1, if owner and counter unchanged) → else lost
 * shard read to SHARD_END     release it; its children become available once all their parents are finished
 * stop                        no more taking; after the final checkpoints, release every lease
 * ```
 *
 * Expiry is judged by each worker's own clock, never by comparing clocks: a lease of another worker is
 * expired when its counter has not moved since this worker first saw that value, `leaseDurationMs` ago. A
 * worker that fails to renew a lease for `leaseDurationMs − renewalIntervalMs` stops reading it on its own, so
 * it has stopped before anyone else may call the lease expired.
 */
export class LeaseCoordinator {
  readonly #held = new Map<string, Held>();
  /** Each lease's owner and counter as last seen, and since when (for expiry). */
  readonly #seen = new Map<string, { owner: string | undefined; counter: number; sinceMs: number }>();
  readonly #stop = new AbortController();
  readonly #timers: Subscription[] = [];
  #taking = true;
  #balancing = false;
  #balanceAgain = false;
  #syncing = false;
  #syncAgain = false;
  #renewing = false;

  constructor(
    private readonly table: LeaseTable,
    private readonly config: LeaseConfig,
    private readonly stream: LeaseStreamContext,
    private readonly hooks: LeaseHooks,
  ) {}

  /** Shards whose lease this worker holds. */
  get held(): string[] {
    return [...this.#held.keys()];
  }

  /** Lists the shards, takes a first share of leases, and starts the timers. */
  start(): void {
    const { scheduler } = this.stream;
    this.requestSync();
    this.#timers.push(
      interval(this.config.renewalIntervalMs, scheduler).subscribe(() => void this.#renewAll()),
      interval(this.config.balanceIntervalMs, scheduler).subscribe(() => this.#requestBalance()),
      interval(this.stream.shardSyncIntervalMs, scheduler).subscribe(() => this.requestSync()),
    );
  }

  /** Lists the shards, creates the missing leases, then balances; one at a time, requests meanwhile coalesced. */
  requestSync(): void {
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = true;
    void (async () => {
      try {
        do {
          this.#syncAgain = false;
          const listed = await listShards(this.stream.client, this.stream.streamRef, { ...this.stream, signal: this.#stop.signal });
          if (listed === STOPPED) return;
          const leases = await this.#tableCall(() => this.table.list());
          if (leases === undefined) continue;
          const known = new Set(leases.filter((l) => l.counter >= 0).map((l) => l.shardId));
          await Promise.all(
            listed
              .filter((shard) => !known.has(shard.shardId))
              .map((shard) => {
                const parents = [shard.parentShardId, shard.adjacentParentShardId].filter((p): p is string => p !== undefined && p !== '');
                return this.#tableCall(() => this.table.create(shard.shardId, parents));
              }),
          );
        } while (this.#syncAgain && !this.#stop.signal.aborted);
      } catch (error) {
        this.hooks.onError(
          error instanceof KinesisSourceError ? error : new KinesisSourceError('ListShards', this.stream.streamName, undefined, error),
        );
      } finally {
        this.#syncing = false;
      }
      this.#requestBalance();
    })();
  }

  /** The shard's `SHARD_END` checkpoint was saved: its lease is finished; release it and look for its children. */
  shardEnded(shardId: string): void {
    const held = this.#held.get(shardId);
    if (held === undefined) return;
    this.#forget(shardId, held);
    void this.#tableCall(() => this.table.release(shardId, this.config.workerId));
    this.requestSync();
  }

  /** Graceful stop began: take no more leases, and give back at once those not being read yet. Held leases are still renewed. */
  stopTaking(): void {
    this.#taking = false;
    for (const [shardId, held] of this.#held) {
      if (held.delayedStart === undefined) continue;
      this.#forget(shardId, held);
      void this.#tableCall(() => this.table.release(shardId, this.config.workerId));
    }
  }

  /** After the final checkpoints: releases every lease held (so other workers take them at once, without waiting for expiry) and stops. */
  async releaseAll(): Promise<void> {
    this.stopTaking();
    const held = [...this.#held];
    for (const [shardId, entry] of held) this.#forget(shardId, entry);
    await Promise.all(held.map(([shardId]) => this.#tableCall(() => this.table.release(shardId, this.config.workerId))));
    this.stream.metrics('LeasesHeld', 0, 'Count');
    this.close();
  }

  /** Stops every timer and call; leases still held expire in the table (unsubscribed, or failed). */
  close(): void {
    this.#taking = false;
    this.#stop.abort();
    for (const timer of this.#timers) timer.unsubscribe();
    for (const held of this.#held.values()) held.delayedStart?.unsubscribe();
  }

  #forget(shardId: string, held: Held): void {
    held.delayedStart?.unsubscribe();
    this.#held.delete(shardId);
  }

  #lose(shardId: string, held: Held): void {
    this.#forget(shardId, held);
    this.stream.metrics('LeasesLost', 1, 'Count');
    this.hooks.onLost(shardId);
  }

  async #renewAll(): Promise<void> {
    if (this.#renewing || this.#stop.signal.aborted) return;
    this.#renewing = true;
    const { scheduler } = this.stream;
    // A lease not renewed for this long is given up before anyone else may call it expired.
    const giveUpAfterMs = this.config.leaseDurationMs - this.config.renewalIntervalMs;
    await Promise.all(
      [...this.#held].map(async ([shardId, held]) => {
        let counter: number | typeof REFUSED | undefined;
        try {
          counter = await this.table.renew(shardId, this.config.workerId, held.counter);
        } catch (error) {
          if (errorKindOf(error) === 'permanent')
            return this.hooks.onError(new KinesisSourceError('LeaseTable', this.stream.streamName, shardId, error));
        }
        if (this.#held.get(shardId) !== held) return; // released or lost meanwhile
        if (counter === REFUSED) return this.#lose(shardId, held);
        if (counter !== undefined) {
          held.counter = counter;
          held.renewedAtMs = scheduler.now();
        } else if (scheduler.now() - held.renewedAtMs >= giveUpAfterMs) this.#lose(shardId, held);
      }),
    );
    this.#renewing = false;
    if (!this.#stop.signal.aborted) this.stream.metrics('LeasesHeld', this.#held.size, 'Count');
  }

  #requestBalance(): void {
    if (this.#balancing) {
      this.#balanceAgain = true;
      return;
    }
    this.#balancing = true;
    void (async () => {
      do {
        this.#balanceAgain = false;
        await this.#balance();
      } while (this.#balanceAgain && this.#taking);
      this.#balancing = false;
    })();
  }

  /** One round of the lease taker (see {@link chooseLeasesToTake}). */
  async #balance(): Promise<void> {
    if (!this.#taking) return;
    const leases = await this.#tableCall(() => this.table.list());
    if (leases === undefined || !this.#taking) return;
    const now = this.stream.scheduler.now();
    for (const lease of leases) {
      const seen = this.#seen.get(lease.shardId);
      if (seen === undefined || seen.owner !== lease.owner || seen.counter !== lease.counter)
        this.#seen.set(lease.shardId, { owner: lease.owner, counter: lease.counter, sinceMs: now });
    }
    const known = new Set(leases.map((l) => l.shardId));
    const finished = new Set(leases.filter((l) => l.checkpoint?.sequenceNumber === SHARD_END).map((l) => l.shardId));
    const available = leases.filter(
      (l) => l.counter >= 0 && !finished.has(l.shardId) && l.parentShardIds.every((p) => finished.has(p) || !known.has(p)),
    );
    // A finished lease this worker still holds (its SHARD_END was saved by a write it did not see confirmed) is let go.
    for (const shardId of finished) {
      const held = this.#held.get(shardId);
      if (held !== undefined) this.#forget(shardId, held);
    }
    const plan = chooseLeasesToTake({
      workerId: this.config.workerId,
      available,
      held: (lease) => this.#held.has(lease.shardId),
      expired: (lease) => now - (this.#seen.get(lease.shardId)?.sinceMs ?? now) >= this.config.leaseDurationMs,
      maxLeasesPerWorker: this.config.maxLeasesPerWorker,
      random: this.stream.random,
    });
    for (const lease of plan.take) {
      const taken = await this.#tableCall(() => this.table.take(lease, this.config.workerId));
      if (taken === undefined || taken === REFUSED) continue;
      if (!this.#taking) {
        await this.#tableCall(() => this.table.release(lease.shardId, this.config.workerId));
        continue;
      }
      this.#acquire(taken, plan.steal, known);
    }
    this.stream.metrics('LeasesHeld', this.#held.size, 'Count');
  }

  #acquire(lease: Lease, stolen: boolean, known: ReadonlySet<string>): void {
    const { scheduler } = this.stream;
    const held: Held = { counter: lease.counter, renewedAtMs: scheduler.now(), delayedStart: undefined };
    this.#held.set(lease.shardId, held);
    this.#seen.set(lease.shardId, { owner: lease.owner, counter: lease.counter, sinceMs: scheduler.now() });
    this.stream.metrics('LeasesTaken', 1, 'Count');
    const position = this.#positionOf(lease, known);
    if (!stolen) return this.hooks.onAcquired(lease.shardId, position);
    held.delayedStart = timer(STOLEN_START_RENEWALS * this.config.renewalIntervalMs, scheduler).subscribe(() => {
      held.delayedStart = undefined;
      this.hooks.onAcquired(lease.shardId, position);
    });
  }

  /** After its checkpoint; else, for a child of a shard in the table, its start (nothing after the parents is skipped); else the starting position. */
  #positionOf(lease: Lease, known: ReadonlySet<string>): ShardPosition {
    if (lease.checkpoint !== undefined) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lease.checkpoint.sequenceNumber };
    if (lease.parentShardIds.some((p) => known.has(p))) return { type: 'TRIM_HORIZON' };
    const start = this.stream.startingPosition;
    if (typeof start === 'object') return { type: 'AT_TIMESTAMP', timestampMs: start.timestampMs };
    return { type: start };
  }

  /**
   * A call to the table: a permanent error ends the source (`onError`); a throttle or transient error skips
   * this round (the next renewal or balance round tries again). `undefined` when it failed.
   */
  async #tableCall<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (this.#stop.signal.aborted) return undefined;
    try {
      return await call();
    } catch (error) {
      if (errorKindOf(error) === 'permanent')
        this.hooks.onError(new KinesisSourceError('LeaseTable', this.stream.streamName, undefined, error));
      return undefined;
    }
  }
}
