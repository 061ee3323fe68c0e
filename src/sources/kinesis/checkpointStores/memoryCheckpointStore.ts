import type { Checkpoint, CheckpointStore } from './CheckpointStore.js';

/** A checkpoint store in memory, whose content tests can read. */
export interface MemoryCheckpointStore extends CheckpointStore {
  /** The checkpoint saved for a shard of a stream, if any. */
  get(streamName: string, shardId: string): Checkpoint | undefined;
  /** Every `save` call in order, as the source made it. */
  readonly saves: Array<{ readonly streamName: string; readonly checkpoints: ReadonlyMap<string, Checkpoint> }>;
}

/**
 * A {@link CheckpointStore} that keeps checkpoints in memory: for tests, and for pipelines that may replay
 * from the starting position after every restart.
 *
 * ## Example
 * ```ts
 * import { fromKinesisStream, memoryCheckpointStore } from 'rx-firehose';
 *
 * const checkpointStore = memoryCheckpointStore();
 * fromKinesisStream({ client, streamName: 'clicks', checkpointStore }).subscribe(…);
 * // later: checkpointStore.get('clicks', 'shardId-000000000000')
 * ```
 *
 * @param initial Checkpoints to start with, by stream name and shard id.
 */
export function memoryCheckpointStore(initial: Readonly<Record<string, Readonly<Record<string, Checkpoint>>>> = {}): MemoryCheckpointStore {
  const streams = new Map<string, Map<string, Checkpoint>>(
    Object.entries(initial).map(([stream, shards]) => [stream, new Map(Object.entries(shards))]),
  );
  const saves: MemoryCheckpointStore['saves'] = [];
  return {
    saves,
    get: (streamName, shardId) => streams.get(streamName)?.get(shardId),
    load: async (streamName) => new Map(streams.get(streamName) ?? []),
    save: async (streamName, checkpoints) => {
      saves.push({ streamName, checkpoints: new Map(checkpoints) });
      let shards = streams.get(streamName);
      if (shards === undefined) streams.set(streamName, (shards = new Map()));
      for (const [shardId, checkpoint] of checkpoints) shards.set(shardId, { ...checkpoint });
    },
  };
}
