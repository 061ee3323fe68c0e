import type { Checkpoint } from '../checkpointStores/CheckpointStore.js';

/** One shard's lease as the table holds it. */
export interface Lease {
  readonly shardId: string;
  /** The worker holding it; `undefined` when nobody does (new, released, or finished). */
  readonly owner: string | undefined;
  /** Moved by every take, renewal and release: a lease whose counter stands still has a failed owner. */
  readonly counter: number;
  /** The shard's checkpoint, if any; `SHARD_END` once it was read to its end and fully settled. */
  readonly checkpoint: Checkpoint | undefined;
  /** The shard's parents (one after a split, two after a merge): it is taken only once theirs reached `SHARD_END`. */
  readonly parentShardIds: readonly string[];
}
