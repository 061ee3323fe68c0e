/**
 * No silent stall on a Kinesis source: a `map` that copies records drops their settlement, the checkpoint never
 * passes them, the in-flight budget stays full and reading stops. The source's stall watchdog says so after
 * `stallTimeoutMs` of virtual time (metrics and a warning, or an error with `onStall: 'error'`).
 *
 * The Kinesis client is FakeKinesisClient, a test double of the documented API (see its file), for exact times.
 */
import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SettlementStallError, settleRecord, type FirehoseRecord, type MetricUnit } from '../../../src/index.js';
import { fromKinesisStream, memoryCheckpointStore, type FromKinesisStreamOptions } from '../../../src/sources/kinesis/index.js';
import { FakeKinesisClient } from './fakeKinesisClient.js';
import { advanceTo, newTestScheduler } from './virtualTime.js';

const SHARD = 'shardId-000000000000';
const STALL_MS = 60_000;
/** The reader's next call would be 200 ms after the first (5 calls/s); there it finds the budget full and waits. */
const WAITS_AT_MS = 200;
const f = (data: Uint8Array): Uint8Array => Uint8Array.from(data, (b) => (b >= 97 && b <= 122 ? b - 32 : b));

function copyingPipeline(options: Partial<FromKinesisStreamOptions>) {
  const scheduler = newTestScheduler();
  const kinesis = new FakeKinesisClient(scheduler);
  kinesis.addShard(SHARD);
  kinesis.put(SHARD, 'aa', 'bb', 'cc', 'dd', 'ee', 'ff');
  const metrics: Array<[number, string, number, MetricUnit]> = [];
  const sunk: FirehoseRecord[] = [];
  const result: { error?: unknown; erroredAtMs?: number } = {};
  const stop = new AbortController();
  const subscription = fromKinesisStream({
    client: kinesis,
    streamName: 'clicks',
    startingPosition: 'TRIM_HORIZON',
    checkpointStore: memoryCheckpointStore(),
    scheduler,
    random: () => 0.5,
    signal: stop.signal,
    maxInFlightBytes: 4,
    maxRecordsPerCall: 2,
    stallTimeoutMs: STALL_MS,
    metrics: (name, value, unit) => {
      if (name.startsWith('fromKinesisStream.')) metrics.push([scheduler.now(), name, value, unit]);
    },
    ...options,
  })
    .pipe(map((r) => ({ ...r, data: f(r.data) })))
    // A sink that settles what it stored: the copies, which carry no settlement.
    .subscribe({
      next: (copy) => {
        sunk.push(copy);
        settleRecord(copy, 'delivered');
      },
      error: (error: unknown) => {
        result.error = error;
        result.erroredAtMs = scheduler.now();
      },
    });
  return { scheduler, metrics, sunk, result, stop, subscription, kinesis };
}

describe('fromKinesisStream stall watchdog (virtual time, FakeKinesisClient)', () => {
  it('should report a map that copies records through metrics and a warning, stallTimeoutMs after reading stopped', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void (w.name === 'SettlementStallWarning' && warnings.push(w.message));
    process.on('warning', onWarning);
    const t = copyingPipeline({});
    try {
      await advanceTo(t.scheduler, WAITS_AT_MS + STALL_MS - 1);
      expect(t.metrics).toEqual([]);
      expect(t.sunk.map((r) => new TextDecoder().decode(r.data))).toEqual(['AA', 'BB']); // 4 bytes: the budget is full
      expect(t.kinesis.callsOf('GetRecords')).toHaveLength(1); // and reading stopped
      await advanceTo(t.scheduler, WAITS_AT_MS + 2 * STALL_MS);
      await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
      t.subscription.unsubscribe();
    }
    expect(t.metrics).toEqual([
      [WAITS_AT_MS + STALL_MS, 'fromKinesisStream.SettlementStalls', 1, 'Count'],
      [WAITS_AT_MS + STALL_MS, 'fromKinesisStream.StalledBytes', 4, 'Bytes'],
      [WAITS_AT_MS + 2 * STALL_MS, 'fromKinesisStream.SettlementStalls', 1, 'Count'],
      [WAITS_AT_MS + 2 * STALL_MS, 'fromKinesisStream.StalledBytes', 4, 'Bytes'],
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('map(r => ({ ...r, data: f(r.data) }))');
  });

  it("should error the source with SettlementStallError with onStall: 'error'", async () => {
    const t = copyingPipeline({ onStall: 'error' });
    await advanceTo(t.scheduler, 3 * STALL_MS);
    t.subscription.unsubscribe();
    expect(t.result.error).toBeInstanceOf(SettlementStallError);
    expect(t.result.error).toMatchObject({ where: 'fromKinesisStream', heldBytes: 4, stalledMs: STALL_MS });
    expect(t.result.erroredAtMs).toBe(WAITS_AT_MS + STALL_MS);
  });
});
