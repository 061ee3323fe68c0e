import { describe, expect, it } from 'vitest';
import { SHARD_END, type Checkpoint } from '../../../src/sources/kinesis/index.js';
import { ShardTracker, type ListedShard } from '../../../src/sources/kinesis/shardTracker.js';

const shard = (shardId: string, closed: boolean, parentShardId?: string, adjacentParentShardId?: string): ListedShard => ({
  shardId,
  closed,
  parentShardId,
  adjacentParentShardId,
});
const checkpoints = (entries: Record<string, string>): Map<string, Checkpoint> =>
  new Map(Object.entries(entries).map(([id, seq]) => [id, { sequenceNumber: seq, subsequenceNumber: 0 }]));

//   0 ──split──▶ 1, 2 ──merge──▶ 3
const resharded = [shard('0', true), shard('1', true, '0'), shard('2', true, '0'), shard('3', false, '1', '2')];

describe('ShardTracker', () => {
  it('should start the roots first, then each child once all of its parents finished (TRIM_HORIZON)', () => {
    const tracker = new ShardTracker(new Map(), 'TRIM_HORIZON');
    expect(tracker.update(resharded)).toEqual([{ shardId: '0', position: { type: 'TRIM_HORIZON' } }]);
    expect(tracker.update(resharded)).toEqual([]); // known shards keep their state
    expect(tracker.finish('0')).toEqual([
      { shardId: '1', position: { type: 'TRIM_HORIZON' } },
      { shardId: '2', position: { type: 'TRIM_HORIZON' } },
    ]);
    expect(tracker.finish('1')).toEqual([]); // the merged shard needs both parents
    expect(tracker.finish('2')).toEqual([{ shardId: '3', position: { type: 'TRIM_HORIZON' } }]);
    expect(tracker.reading).toEqual(['3']);
  });

  it('should, at LATEST, skip closed shards that are not ours and start the open ones at LATEST', () => {
    const tracker = new ShardTracker(new Map(), 'LATEST');
    expect(tracker.update(resharded)).toEqual([{ shardId: '3', position: { type: 'LATEST' } }]);
  });

  it('should resume after checkpoints, skip SHARD_END shards, and start children of our shards at TRIM_HORIZON even at LATEST', () => {
    const tracker = new ShardTracker(checkpoints({ '0': SHARD_END, '1': '111' }), 'LATEST');
    expect(tracker.update(resharded)).toEqual([
      { shardId: '1', position: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '111' } },
      { shardId: '2', position: { type: 'TRIM_HORIZON' } }, // its parent 0 is ours (checkpointed)
    ]);
    expect(tracker.finish('1')).toEqual([]);
    expect(tracker.finish('2')).toEqual([{ shardId: '3', position: { type: 'TRIM_HORIZON' } }]);
  });

  it('should start shards without a checkpoint at the starting timestamp, children included', () => {
    const tracker = new ShardTracker(new Map(), { timestampMs: 1_000 });
    expect(tracker.update(resharded)).toEqual([{ shardId: '0', position: { type: 'AT_TIMESTAMP', timestampMs: 1_000 } }]);
    expect(tracker.finish('0').map((s) => s.position)).toEqual([
      { type: 'AT_TIMESTAMP', timestampMs: 1_000 },
      { type: 'AT_TIMESTAMP', timestampMs: 1_000 },
    ]);
  });

  it('should treat a parent no longer listed (past the retention period) as finished', () => {
    const tracker = new ShardTracker(new Map(), 'TRIM_HORIZON');
    expect(tracker.update([shard('5', false, 'gone')])).toEqual([{ shardId: '5', position: { type: 'TRIM_HORIZON' } }]);
  });

  it('should, at LATEST, start the open child of a checkpointed parent that is no longer listed at TRIM_HORIZON', () => {
    // The parent was finished (SHARD_END) by an earlier run, then aged out of ListShards.
    expect(new ShardTracker(checkpoints({ gone: SHARD_END }), 'LATEST').update([shard('5', false, 'gone')])).toEqual([
      { shardId: '5', position: { type: 'TRIM_HORIZON' } },
    ]);
    // Any checkpoint makes it ours, not only SHARD_END (the rest of it aged out unread: nothing to wait for).
    expect(new ShardTracker(checkpoints({ gone: '42' }), 'LATEST').update([shard('5', false, 'gone')])).toEqual([
      { shardId: '5', position: { type: 'TRIM_HORIZON' } },
    ]);
    // Either parent of a merge will do.
    expect(new ShardTracker(checkpoints({ b: SHARD_END }), 'LATEST').update([shard('5', false, 'a', 'b')])).toEqual([
      { shardId: '5', position: { type: 'TRIM_HORIZON' } },
    ]);
    // A parent that is gone and was never ours: the starting position.
    expect(new ShardTracker(checkpoints({ other: SHARD_END }), 'LATEST').update([shard('5', false, 'gone')])).toEqual([
      { shardId: '5', position: { type: 'LATEST' } },
    ]);
  });

  it('should, at LATEST, read a closed child of a checkpointed parent that is no longer listed, then its children, all at TRIM_HORIZON', () => {
    //   gone (SHARD_END, not listed) ──▶ 1 (closed) ──▶ 2, 3
    const tracker = new ShardTracker(checkpoints({ gone: SHARD_END }), 'LATEST');
    expect(tracker.update([shard('1', true, 'gone'), shard('2', false, '1'), shard('3', false, '1')])).toEqual([
      { shardId: '1', position: { type: 'TRIM_HORIZON' } },
    ]);
    expect(tracker.finish('1')).toEqual([
      { shardId: '2', position: { type: 'TRIM_HORIZON' } },
      { shardId: '3', position: { type: 'TRIM_HORIZON' } },
    ]);
  });

  it('should remember a shard read in this run as ours after it stops being listed', () => {
    const tracker = new ShardTracker(new Map(), 'LATEST');
    expect(tracker.update([shard('0', false)])).toEqual([{ shardId: '0', position: { type: 'LATEST' } }]);
    expect(tracker.finish('0')).toEqual([]);
    // The next listing no longer has 0 (retention), but has its child.
    expect(tracker.update([shard('1', false, '0')])).toEqual([{ shardId: '1', position: { type: 'TRIM_HORIZON' } }]);
  });

  it('should find children listed later, once their parent is done', () => {
    const tracker = new ShardTracker(new Map(), 'LATEST');
    expect(tracker.update([shard('0', false)])).toEqual([{ shardId: '0', position: { type: 'LATEST' } }]);
    expect(tracker.update([shard('0', true), shard('1', false, '0'), shard('2', false, '0')])).toEqual([]);
    expect(tracker.finish('0').map((s) => [s.shardId, s.position.type])).toEqual([
      ['1', 'TRIM_HORIZON'],
      ['2', 'TRIM_HORIZON'],
    ]);
  });
});
