import { callWithRetries, STOPPED, type RetryContext } from './callWithRetries.js';
import { codeOf } from './KinesisSourceError.js';
import type { KinesisReadClient } from './KinesisReadClient.js';
import { kinesisSdk } from './kinesisSdk.js';
import type { ListedShard } from './shardTracker.js';

/** A NextToken is valid for 300 s: a listing that waited longer (backoff) starts over. */
const RESTART: unique symbol = Symbol('restart');

/**
 * Every shard of the stream, open and closed (within the retention period), with ListShards and its
 * NextToken paging; throttles and transient errors are retried, a permanent error throws `KinesisSourceError`.
 * Resolves to {@link STOPPED} once the source stopped.
 */
export async function listShards(
  client: KinesisReadClient,
  streamRef: { readonly StreamName?: string; readonly StreamARN?: string },
  context: RetryContext,
): Promise<ListedShard[] | typeof STOPPED> {
  for (;;) {
    const listed: ListedShard[] = [];
    let nextToken: string | undefined;
    let restart = false;
    do {
      // The stream is named on the first page only: Kinesis refuses both a name and a NextToken.
      const request = nextToken === undefined ? { ...streamRef } : { NextToken: nextToken };
      const page = await callWithRetries(
        'ListShards',
        undefined,
        async () => {
          const { ListShardsCommand } = await kinesisSdk();
          return client.send(new ListShardsCommand(request), { abortSignal: context.signal }).catch((err: unknown): typeof RESTART => {
            if (codeOf(err) === 'ExpiredNextTokenException') return RESTART;
            throw err;
          });
        },
        context,
      );
      if (page === STOPPED) return STOPPED;
      if (page === RESTART) {
        restart = true;
        break;
      }
      for (const shard of page.Shards ?? []) {
        if (shard.ShardId === undefined) continue;
        listed.push({
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          adjacentParentShardId: shard.AdjacentParentShardId,
          closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
        });
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    if (!restart) return listed;
  }
}
