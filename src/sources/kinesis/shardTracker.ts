import { SHARD_END, type Checkpoint } from './checkpointStores/CheckpointStore.js';

/** Where reading starts for a shard without a checkpoint: the stream's newest record, its oldest, or a time. */
export type StartingPosition = 'LATEST' | 'TRIM_HORIZON' | { readonly timestampMs: number };

/** Where one shard's reading starts: its GetShardIterator request. */
export type ShardPosition =
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestampMs: number }
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' };

/** What ListShards says about a shard, as far as ordering goes. */
export interface ListedShard {
  readonly shardId: string;
  readonly parentShardId?: string | undefined;
  readonly adjacentParentShardId?: string | undefined;
  /** The shard has an ending sequence number: it was split or merged and takes no more records. */
  readonly closed: boolean;
}

interface TrackedShard {
  readonly shardId: string;
  readonly parents: readonly string[];
  closed: boolean;
  state: 'waiting' | 'reading' | 'done';
}

/** A shard to start reading now, and from where. */
export interface ShardStart {
  readonly shardId: string;
  readonly position: ShardPosition;
}

/**
 * Which shards to read, and when: every shard of the stream, each parent read to its end and fully settled
 * (its checkpoint `SHARD_END`) before its children start, as the KCL does. So records of one partition key
 * keep their order across a split or a merge.
 *
 * ```
 *  split:  0 ──end──┐            merge:  1 ──end──┐
 *                   ├─▶ 2                          ├─▶ 3   (3 starts once 1 AND 2 are SHARD_END)
 *                   └─▶ ...                2 ──end──┘
 * ```
 *
 * A shard starts when every parent that ListShards still reports is done (a parent past the retention
 * period is gone, and counts as done). Where it starts:
 * - after its checkpoint, if it has one (`SHARD_END`: it is done, and not read again);
 * - else, when a parent is ours, at `TRIM_HORIZON`, so nothing written after the parent closed is skipped
 *   (with an `AT_TIMESTAMP` starting position: at that time). Open or closed: a closed child of ours is read
 *   too, and its own children are then ours in turn;
 * - else at the starting position. With `LATEST`, a closed shard whose parents are not ours is not read at
 *   all (it holds nothing newer than now), and its children start at `LATEST` in turn.
 *
 * A shard is ours when it has a checkpoint in the store (any, `SHARD_END` included) or was started in this
 * run. This is remembered by shard id, not looked up among the shards listed: a parent that aged out of
 * ListShards after its `SHARD_END` was saved is no longer listed, yet its children must still continue at
 * `TRIM_HORIZON` (the KCL likewise gives the children of a finished shard leases at `TRIM_HORIZON`), or
 * what they received before the first checkpoint would be skipped.
 */
export class ShardTracker {
  readonly #shards = new Map<string, TrackedShard>();
  /** Shards read (or checkpointed) by this consumer, listed or not: their children continue where they ended. */
  readonly #ours: Set<string>;

  constructor(
    private readonly checkpoints: ReadonlyMap<string, Checkpoint>,
    private readonly startingPosition: StartingPosition,
  ) {
    this.#ours = new Set(checkpoints.keys());
  }

  /** Shards being read now. */
  get reading(): string[] {
    return [...this.#shards.values()].filter((s) => s.state === 'reading').map((s) => s.shardId);
  }

  /** Learns the shards of a listing (new ones are added, known ones keep their state); returns those to start now. */
  update(listed: readonly ListedShard[]): ShardStart[] {
    for (const shard of listed) {
      const known = this.#shards.get(shard.shardId);
      if (known !== undefined) {
        known.closed ||= shard.closed;
        continue;
      }
      const parents = [shard.parentShardId, shard.adjacentParentShardId].filter((id): id is string => id !== undefined && id !== '');
      this.#shards.set(shard.shardId, { shardId: shard.shardId, parents, closed: shard.closed, state: 'waiting' });
    }
    return this.#startable();
  }

  /** The shard was read to its end and its `SHARD_END` checkpoint saved; returns the children to start now. */
  finish(shardId: string): ShardStart[] {
    const shard = this.#shards.get(shardId);
    if (shard === undefined || shard.state === 'done') return [];
    shard.state = 'done';
    return this.#startable();
  }

  #startable(): ShardStart[] {
    const starts: ShardStart[] = [];
    // A shard that is done without being read (SHARD_END, or closed under LATEST) may free its children: repeat.
    for (let changed = true; changed; ) {
      changed = false;
      for (const shard of this.#shards.values()) {
        if (shard.state !== 'waiting' || !this.#parentsDone(shard)) continue;
        const position = this.#positionOf(shard);
        if (position === undefined) {
          shard.state = 'done';
          changed = true;
        } else {
          shard.state = 'reading';
          this.#ours.add(shard.shardId);
          starts.push({ shardId: shard.shardId, position });
        }
      }
    }
    return starts;
  }

  #parentsDone(shard: TrackedShard): boolean {
    return shard.parents.every((id) => {
      const parent = this.#shards.get(id);
      return parent === undefined || parent.state === 'done';
    });
  }

  /** Where to start, or `undefined` for a shard that needs no reading. */
  #positionOf(shard: TrackedShard): ShardPosition | undefined {
    const checkpoint = this.checkpoints.get(shard.shardId);
    if (checkpoint?.sequenceNumber === SHARD_END) return undefined;
    if (checkpoint !== undefined) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequenceNumber };
    const start = this.startingPosition;
    if (typeof start === 'object') return { type: 'AT_TIMESTAMP', timestampMs: start.timestampMs };
    if (start === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
    const parentIsOurs = shard.parents.some((id) => this.#ours.has(id));
    if (parentIsOurs) return { type: 'TRIM_HORIZON' };
    return shard.closed ? undefined : { type: 'LATEST' };
  }
}
