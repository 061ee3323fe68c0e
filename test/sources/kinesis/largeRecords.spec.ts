/**
 * Records up to 10 MiB, as Kinesis now accepts them, flow through the source, the buffer and a destination.
 * kinesalite refuses records over 1 MiB (its limit predates the change), so the stream is FakeKinesisClient, a
 * test double of the documented API, in virtual time.
 */
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { bufferBySizeOrTime, deliverTo } from '../../../operators/index.js';
import type { FirehoseRecord } from '../../../src/index.js';
import { fromKinesisStream, memoryCheckpointStore } from '../../../src/sources/kinesis/index.js';
import { memoryDestination } from '../../../src/testing/index.js';
import { FakeKinesisClient } from './fakeKinesisClient.js';
import { advanceTo, newTestScheduler } from './virtualTime.js';

const SHARD = 'shardId-000000000000';
const MiB = 1_048_576;

describe('fromKinesisStream with records up to 10 MiB', () => {
  it('should deliver 10 MiB records whole, each alone in its batch, and checkpoint past them', async () => {
    const scheduler = newTestScheduler();
    const kinesis = new FakeKinesisClient(scheduler);
    kinesis.addShard(SHARD);
    const big = ['a', 'b'].map((c) => c.repeat(10 * MiB));
    const sequenceNumbers = kinesis.put(SHARD, big[0]!, 'small', big[1]!);
    const store = memoryCheckpointStore();
    const destination = memoryDestination<FirehoseRecord>({ scheduler });
    const stop = new AbortController();
    const done = lastValueFrom(
      fromKinesisStream({
        client: kinesis,
        streamName: 'big',
        startingPosition: 'TRIM_HORIZON',
        checkpointStore: store,
        maxInFlightBytes: 16 * MiB, // smaller than two records: one is read at a time
        scheduler,
        signal: stop.signal,
      }).pipe(bufferBySizeOrTime({ maxBytes: 5 * MiB, maxMs: 1_000, scheduler }), deliverTo(destination, { scheduler })),
    );
    await advanceTo(scheduler, 10_000);
    stop.abort();
    await advanceTo(scheduler, 20_000);
    await done;
    const delivered = destination.delivered.map((r) => new TextDecoder().decode(r.data));
    expect(delivered.map((d) => d.length)).toEqual([10 * MiB, 5, 10 * MiB]);
    expect(delivered[0] === big[0] && delivered[1] === 'small' && delivered[2] === big[1]).toBe(true);
    expect(store.get('big', SHARD)).toEqual({ sequenceNumber: sequenceNumbers[2], subsequenceNumber: 0 });
  });
});
