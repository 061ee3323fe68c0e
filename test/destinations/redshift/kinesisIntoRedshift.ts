import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Subscription } from 'rxjs';
import { bufferBySizeOrTime, deliverTo } from '../../../operators/index.js';
import type { redshiftDestination } from '../../../src/destinations/redshift/index.js';
import type { DeliveryResult, FirehoseRecord } from '../../../src/index.js';
import { fromKinesisStream, memoryCheckpointStore } from '../../../src/sources/kinesis/index.js';
import { createStream, putRecords } from '../../support/kinesalite.js';

/**
 * A one-shard kinesalite stream holding `{"id":1}` … `{"id":<count>}`, read from TRIM_HORIZON into one batch of
 * `count` records delivered to `destination`: what a test of "no checkpoint before the COPY" needs. `stop()`
 * ends the reading.
 */
export async function kinesisIntoRedshift(
  kinesis: KinesisClient,
  streamName: string,
  count: number,
  destination: ReturnType<typeof redshiftDestination>,
) {
  await createStream(kinesis, streamName, 1);
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const put = await putRecords(
    kinesis,
    streamName,
    ids.map((id) => ({ Data: new TextEncoder().encode(JSON.stringify({ id })), PartitionKey: `k${id}` })),
  );
  const checkpoints = memoryCheckpointStore();
  const abort = new AbortController();
  const results: DeliveryResult<FirehoseRecord>[] = [];
  const subscription: Subscription = fromKinesisStream({
    client: kinesis,
    streamName,
    startingPosition: 'TRIM_HORIZON',
    checkpointStore: checkpoints,
    pollIntervalMs: 200,
    signal: abort.signal,
  })
    .pipe(bufferBySizeOrTime({ maxRecords: count, maxMs: 60_000 }), deliverTo(destination))
    .subscribe((r) => results.push(r));
  return {
    put,
    checkpoints,
    results,
    stop: () => {
      abort.abort();
      subscription.unsubscribe();
    },
  };
}
