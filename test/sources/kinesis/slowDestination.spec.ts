/**
 * Bounded memory, measured: a destination that takes seconds per batch must slow reading down, never let
 * the source's outstanding bytes (emitted, and not yet passed by the shard's checkpoint: unsettled, or
 * settled behind a record still in flight) grow past `maxInFlightBytes` plus one GetRecords response.
 * Real time against kinesalite on 127.0.0.1.
 */
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { bufferBySizeOrTime, deliverTo } from '../../../operators/index.js';
import type { DeliveryRequest, Destination, FirehoseRecord } from '../../../src/index.js';
import { fromKinesisStream, memoryCheckpointStore } from '../../../src/sources/kinesis/index.js';
import { createStream, putRecords, useKinesalite } from '../../support/kinesalite.js';
import { delay, waitFor } from './waitFor.js';

const kinesis = useKinesalite();

const RECORDS = 200;
const RECORD_BYTES = 1_024;
const MAX_IN_FLIGHT_BYTES = 32 * 1_024;
const MAX_RECORDS_PER_CALL = 50;
const BATCH_MS = 1_500;

describe('fromKinesisStream with a slow destination (kinesalite)', () => {
  it('should keep its outstanding bytes within maxInFlightBytes plus one GetRecords response, reading only as fast as batches are delivered', async () => {
    const streamName = 'slow';
    await createStream(kinesis.client, streamName, 1);
    await putRecords(
      kinesis.client,
      streamName,
      Array.from({ length: RECORDS }, (_, i) => ({ Data: Buffer.alloc(RECORD_BYTES, String(i % 10)), PartitionKey: `k${i}` })),
    );

    const startedAt = Date.now();
    const delivered: FirehoseRecord[] = [];
    const slow: Destination<DeliveryRequest & { batch: readonly FirehoseRecord[] }> = {
      name: 'Slow',
      build: (batch) => ({
        request: { ids: ['slow'], items: batch.map((_r, i) => i), bytes: 0, batch: batch as readonly FirehoseRecord[] },
      }),
      async send(request) {
        await delay(BATCH_MS);
        delivered.push(...request.batch);
        return { status: 'accepted' };
      },
    };
    const samples: Array<{ atMs: number; bytes: number }> = [];
    const responses: Array<{ atMs: number; bytes: number }> = [];
    const read: number[] = [];
    const stop = new AbortController();
    const done = lastValueFrom(
      fromKinesisStream({
        client: kinesis.client,
        streamName,
        startingPosition: 'TRIM_HORIZON',
        checkpointStore: memoryCheckpointStore(),
        pollIntervalMs: 200,
        maxRecordsPerCall: MAX_RECORDS_PER_CALL,
        maxInFlightBytes: MAX_IN_FLIGHT_BYTES,
        signal: stop.signal,
        onInFlight: (budget) => samples.push({ atMs: Date.now() - startedAt, bytes: budget.inFlightBytes }),
        metrics: (name, value) => {
          if (name === 'DataReadFromKinesisStream.Bytes') responses.push({ atMs: Date.now() - startedAt, bytes: value });
          if (name === 'DataReadFromKinesisStream.Records') read.push(value);
        },
      }).pipe(bufferBySizeOrTime({ maxRecords: 25, maxMs: 200 }), deliverTo(slow)),
      { defaultValue: undefined },
    );
    await waitFor(() => delivered.length === RECORDS, 'every record delivered', 40_000);
    stop.abort();
    await done;

    const peak = Math.max(...samples.map((s) => s.bytes));
    const largestResponse = Math.max(...responses.map((r) => r.bytes));
    const readAllAtMs = responses.at(-1)!.atMs;
    const elapsedMs = Date.now() - startedAt;
    console.log(
      [
        `slow destination: ${RECORDS} records × ${RECORD_BYTES} B, ${BATCH_MS} ms per batch of 25, budget ${MAX_IN_FLIGHT_BYTES} B`,
        `peak outstanding ${peak} B = budget + ${peak - MAX_IN_FLIGHT_BYTES} B; largest GetRecords response ${largestResponse} B; bound ${MAX_IN_FLIGHT_BYTES + largestResponse} B`,
        `${responses.length} non-empty GetRecords responses (${read.join(', ')} records); last one at ${readAllAtMs} ms; all delivered at ${elapsedMs} ms`,
      ].join('\n  '),
    );
    expect(peak).toBeLessThanOrEqual(MAX_IN_FLIGHT_BYTES + largestResponse);
    expect(peak).toBeGreaterThanOrEqual(MAX_IN_FLIGHT_BYTES); // the budget was reached: reading did wait
    expect(samples.at(-1)!.bytes).toBe(0);
    // Reading followed delivery: the last records were read only after several slow batches had finished.
    expect(readAllAtMs).toBeGreaterThan(4 * BATCH_MS);
    expect(delivered.map((r) => r.data[0])).toEqual(Array.from({ length: RECORDS }, (_, i) => 0x30 + (i % 10)));
  }, 50_000);
});
