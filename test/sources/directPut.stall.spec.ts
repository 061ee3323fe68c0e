import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deliveryStreamFromConfig,
  FirehoseApiError,
  InvalidOptionError,
  openDeliveryStream,
  openDirectPut,
  SettlementStallError,
  settleRecord,
  type DirectPut,
  type FirehoseRecord,
  type MetricUnit,
  type PipelineFactory,
} from '../../src/index.js';
import { bufferBySizeOrTime, deliverTo } from '../../operators/index.js';
import { memoryDestination } from '../../src/testing/index.js';

// No silent stall for direct PUT: the source never waits, it refuses puts ("Slow down.") while its budget is
// full. A refused put therefore arms the stall watchdog, settlements that free the budget disarm it, and it ends
// with the source (close, complete, error, unsubscribe). Virtual time: the clock moves only when a test says so.
const STALL_MS = 60_000;
const BUDGET = 4 * 1_048_576; // the smallest budget: one full PutRecordBatch
/** The user's transformation: here a copy of the bytes (what it does to them does not matter, only that the record is copied). */
const f = (data: Uint8Array): Uint8Array => data.slice();
const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-direct-put-stall-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function newScheduler(): TestScheduler {
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  scheduler.maxFrames = 0;
  return scheduler;
}

/** Runs virtual time up to `frame` exactly (and no further): what is due by then runs, the clock reads `frame`. */
function advanceTo(scheduler: TestScheduler, frame: number): void {
  scheduler.schedule(() => {}, frame - scheduler.now());
  scheduler.maxFrames = frame;
  scheduler.flush();
}

/** Fills the budget with five records of 1,000,000 bytes (the fifth takes it past 4 MiB). */
async function fillBudget(source: DirectPut): Promise<void> {
  const record = { Data: bytes(1_000_000) };
  const first = await source.putRecordBatch([record, record, record, record]);
  expect(first.FailedPutCount).toBe(0);
  await source.putRecord(record); // 5,000,000 bytes of 4,194,304: full
  expect(source.budget.full).toBe(true);
}

async function expectSlowDown(source: DirectPut): Promise<void> {
  const err = await source.putRecord({ Data: 'x' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FirehoseApiError);
  expect((err as FirehoseApiError).message).toBe('Slow down.');
}

/** Collects the stall warnings the process emits (on the next tick). */
function watchWarnings(): { warnings: string[]; stop: () => Promise<void> } {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void (w.name === 'SettlementStallWarning' && warnings.push(w.message));
  process.on('warning', onWarning);
  return {
    warnings,
    stop: async () => {
      await new Promise((resolve) => setImmediate(resolve));
      process.off('warning', onWarning);
    },
  };
}

/** A source on virtual time whose records are collected as they are (settled by hand), and the times of its stall reports. */
async function openCollected(): Promise<{ scheduler: TestScheduler; stalls: number[]; source: DirectPut; seen: FirehoseRecord[] }> {
  const scheduler = newScheduler();
  const stalls: number[] = [];
  const source = await openDirectPut({
    logDir: await tempDir(),
    maxInFlightBytes: BUDGET,
    scheduler,
    stallTimeoutMs: STALL_MS,
    metrics: (name) => name === 'openDirectPut.SettlementStalls' && stalls.push(scheduler.now()),
  });
  const seen: FirehoseRecord[] = [];
  source.records.subscribe((r) => seen.push(r));
  return { scheduler, stalls, source, seen };
}

describe('openDirectPut: stall watchdog', () => {
  it('should warn stallTimeoutMs after the first refused put when a copying map lost the settlements, and again every stallTimeoutMs', async () => {
    const scheduler = newScheduler();
    const metrics: Array<[number, string, number, MetricUnit]> = [];
    const source = await openDirectPut({
      logDir: await tempDir(),
      maxInFlightBytes: BUDGET,
      scheduler,
      stallTimeoutMs: STALL_MS,
      metrics: (name, value, unit) => name.startsWith('openDirectPut.') && metrics.push([scheduler.now(), name, value, unit]),
    });
    const out = memoryDestination<FirehoseRecord>({ scheduler });
    source.records
      .pipe(
        map((r) => ({ ...r, data: f(r.data) })),
        bufferBySizeOrTime({ maxRecords: 10, maxMs: 1000, scheduler }),
        deliverTo(out, { scheduler }),
      )
      .subscribe();
    const { warnings, stop } = watchWarnings();
    await fillBudget(source);
    advanceTo(scheduler, 5_000); // the copies are delivered; settling them settles nothing
    expect(out.delivered).toHaveLength(5);
    expect(scheduler.actions).toEqual([]); // full, but no put refused yet: nothing is armed

    await expectSlowDown(source); // the first refused put, at 5 s
    advanceTo(scheduler, 30_000);
    await expectSlowDown(source); // refused again: the timeout still counts from the first
    advanceTo(scheduler, 5_000 + STALL_MS - 1);
    expect(metrics).toEqual([]);
    advanceTo(scheduler, 5_000 + 2 * STALL_MS);
    await stop();

    expect(metrics).toEqual([
      [5_000 + STALL_MS, 'openDirectPut.SettlementStalls', 1, 'Count'],
      [5_000 + STALL_MS, 'openDirectPut.StalledBytes', 5_000_000, 'Bytes'],
      [5_000 + 2 * STALL_MS, 'openDirectPut.SettlementStalls', 1, 'Count'],
      [5_000 + 2 * STALL_MS, 'openDirectPut.StalledBytes', 5_000_000, 'Bytes'],
    ]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^delivery stream direct-put: reading has stopped: /); // the stream, not the source: a server runs several
    expect(warnings[0]).toContain('none settled for 60000 ms');
    expect(warnings[0]).toContain('map(r => ({ ...r, data: f(r.data) }))');
    expect(warnings[1]).toContain('none settled for 120000 ms');

    // Closing ends the watch: nothing is left scheduled, so virtual time can run to its end.
    await source.close();
    expect(scheduler.actions).toEqual([]);
    await source.closeLog();
  });

  it("should error the records with SettlementStallError at stallTimeoutMs with onStall: 'error', leave nothing scheduled and refuse later puts", async () => {
    const scheduler = newScheduler();
    const source = await openDirectPut({
      logDir: await tempDir(),
      maxInFlightBytes: BUDGET,
      scheduler,
      stallTimeoutMs: STALL_MS,
      onStall: 'error',
    });
    let error: unknown;
    let erroredAtMs: number | undefined;
    source.records.pipe(map((r) => ({ ...r, data: f(r.data) }))).subscribe({
      next: (copy) => settleRecord(copy, 'delivered'),
      error: (err: unknown) => {
        error = err;
        erroredAtMs = scheduler.now();
      },
    });
    const { warnings, stop } = watchWarnings();
    await fillBudget(source);
    advanceTo(scheduler, 1_000);
    await expectSlowDown(source);
    advanceTo(scheduler, 1_000 + STALL_MS - 1);
    expect(error).toBeUndefined();
    advanceTo(scheduler, 1_000 + 10 * STALL_MS);
    await stop();

    expect(error).toBeInstanceOf(SettlementStallError);
    expect(error).toMatchObject({ where: 'delivery stream direct-put', heldBytes: 5_000_000, stalledMs: STALL_MS });
    expect(erroredAtMs).toBe(1_000 + STALL_MS);
    expect(warnings).toEqual([]); // the error says it all
    expect(scheduler.actions).toEqual([]);
    await expect(source.putRecord({ Data: 'x' })).rejects.toThrow(/accepts no more records/);
    await source.close();
    await source.closeLog();
  });

  it('should start the timeout again when a settlement is checkpointed while the budget stays full, and stop it once there is room', async () => {
    const { scheduler, stalls, source, seen } = await openCollected();
    // 41 small records and a large one: 5,100,000 bytes, so settling one small record leaves the budget full.
    const small = { Data: bytes(100_000) };
    await source.putRecordBatch(Array.from({ length: 41 }, () => small));
    await source.putRecord({ Data: bytes(1_000_000) });
    await expectSlowDown(source); // armed at 0

    advanceTo(scheduler, 40_000);
    settleRecord(seen[0]!, 'delivered');
    await source.checkpoint(); // released at 40 s: 5,000,000 bytes, still full, but something settled
    expect(source.budget.full).toBe(true);
    advanceTo(scheduler, STALL_MS + 1); // past the first timeout: restarted at 40 s, so no report
    expect(stalls).toEqual([]);
    advanceTo(scheduler, 40_000 + STALL_MS);
    expect(stalls).toEqual([40_000 + STALL_MS]);

    advanceTo(scheduler, 150_000);
    settleRecord(seen[41]!, 'delivered'); // the large record: room again
    await source.checkpoint();
    expect(source.budget.full).toBe(false);
    expect(scheduler.actions).toEqual([]); // the watch ended with the wait
    advanceTo(scheduler, 10 * STALL_MS);
    expect(stalls).toEqual([40_000 + STALL_MS]);
    await source.close();
    await source.closeLog();
  });

  it('should report a stream whose log is full (its budget is not) and nothing settles, as one whose budget is full', async () => {
    const scheduler = newScheduler();
    const stalls: number[] = [];
    const source = await openDirectPut({
      logDir: await tempDir(),
      maxInFlightBytes: BUDGET,
      maxLogBytes: BUDGET, // small records take more room in the log (id, arrival, length) than in the budget
      scheduler,
      stallTimeoutMs: STALL_MS,
      metrics: (name) => name === 'openDirectPut.SettlementStalls' && stalls.push(scheduler.now()),
    });
    const seen: FirehoseRecord[] = [];
    source.records.subscribe((r) => seen.push(r));
    const batch = Array.from({ length: 500 }, () => ({ Data: bytes(100) }));
    while (source.logBytes < BUDGET) expect((await source.putRecordBatch(batch)).FailedPutCount).toBe(0);
    expect(source.budget.full).toBe(false); // about 2.8 MB of records in 4 MiB of log
    advanceTo(scheduler, 1_000);
    await expectSlowDown(source); // refused for the full log: armed at 1 s
    advanceTo(scheduler, 1_000 + STALL_MS - 1);
    expect(stalls).toEqual([]);
    advanceTo(scheduler, 1_000 + STALL_MS);
    expect(stalls).toEqual([1_000 + STALL_MS]);

    // Settling frees the log (its segment is deleted) and ends the watch.
    for (const r of seen) settleRecord(r, 'delivered');
    await source.checkpoint();
    expect(source.logBytes).toBe(0);
    expect(scheduler.actions).toEqual([]);
    expect((await source.putRecord({ Data: 'x' })).RecordId).toEqual(expect.any(String));
    advanceTo(scheduler, 10 * STALL_MS);
    expect(stalls).toEqual([1_000 + STALL_MS]);
    await source.close();
    await source.closeLog();
  });

  it('should not report a full budget whose records all settled and wait only for the checkpoint', async () => {
    const { scheduler, stalls, source, seen } = await openCollected();
    await fillBudget(source);
    await expectSlowDown(source); // armed at 0
    advanceTo(scheduler, 10_000);
    for (const r of seen) settleRecord(r, 'delivered'); // all settled; their bytes leave the budget at the checkpoint
    expect(scheduler.actions).toEqual([]);
    await expectSlowDown(source); // still full until the checkpoint, but nothing is unsettled: no stall to report
    advanceTo(scheduler, 10 * STALL_MS);
    expect(stalls).toEqual([]);
    await source.checkpoint();
    expect(source.budget.inFlightBytes).toBe(0);
    await source.close();
    await source.closeLog();
  });

  it('should end the watch when the records are unsubscribed, and arm no more on later refused puts', async () => {
    const scheduler = newScheduler();
    const source = await openDirectPut({ logDir: await tempDir(), maxInFlightBytes: BUDGET, scheduler, stallTimeoutMs: STALL_MS });
    const subscription = source.records.subscribe();
    await fillBudget(source);
    await expectSlowDown(source);
    expect(scheduler.actions).toHaveLength(1); // the stall timeout
    subscription.unsubscribe();
    expect(scheduler.actions).toEqual([]);
    await expectSlowDown(source);
    expect(scheduler.actions).toEqual([]);
    await source.close();
    await source.closeLog();
  });

  it('should end the watch when closed, before the records complete', async () => {
    const scheduler = newScheduler();
    const source = await openDirectPut({ logDir: await tempDir(), maxInFlightBytes: BUDGET, scheduler, stallTimeoutMs: STALL_MS });
    let completed = false;
    source.records.subscribe({ complete: () => (completed = true) });
    await fillBudget(source);
    await expectSlowDown(source);
    expect(scheduler.actions).toHaveLength(1);
    await source.close();
    expect(completed).toBe(true);
    expect(scheduler.actions).toEqual([]);
    await source.closeLog();
  });

  it('should pass stallTimeoutMs and onStall through openDeliveryStream: a pipeline that copies records fails with SettlementStallError', async () => {
    const scheduler = newScheduler();
    const dataDir = await tempDir();
    // The stream's own pipeline (to a directory), fed through the copying map: it settles the copies, which settles nothing.
    const copying: PipelineFactory = (input, environment) =>
      deliveryStreamFromConfig(input, { ...environment, records: environment.records!.pipe(map((r) => ({ ...r, data: f(r.data) }))) });
    const stream = await openDeliveryStream(
      {
        DeliveryStreamName: 'copies',
        ExtendedS3DestinationConfiguration: { RoleARN: 'arn:aws:iam::000000000000:role/firehose', BucketARN: 'arn:aws:s3:::lake' },
      },
      { dataDir, pipeline: copying, maxInFlightBytes: BUDGET, scheduler, stallTimeoutMs: STALL_MS, onStall: 'error' },
    );
    await fillBudget(stream.source!);
    advanceTo(scheduler, 2_000);
    await expectSlowDown(stream.source!);
    advanceTo(scheduler, 2_000 + STALL_MS - 1);
    await expect(stream.putRecord({ Data: 'x' })).rejects.toThrow(/^Slow down\.$/); // still running
    advanceTo(scheduler, 2_000 + STALL_MS);
    const summary = await stream.done;
    expect(summary.deliveredRecords).toBe(5); // the copies, flushed from the buffer as the records errored
    expect((await readdir(join(dataDir, 'lake'), { recursive: true })).filter((f) => f.endsWith('.gz') || /copies-/.test(f))).toHaveLength(
      1,
    );
    expect(summary.error).toBeInstanceOf(SettlementStallError);
    expect(summary.error).toMatchObject({ where: 'delivery stream copies', heldBytes: 5_000_000, stalledMs: STALL_MS });
    await expect(stream.putRecord({ Data: 'x' })).rejects.toThrow(/accepts no more records/);
    expect(scheduler.actions).toEqual([]);
  });

  it('should throw InvalidOptionError for stallTimeoutMs and onStall out of range', async () => {
    await expect(openDirectPut({ logDir: 'x', stallTimeoutMs: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(openDirectPut({ logDir: 'x', stallTimeoutMs: 86_400_001 })).rejects.toThrow(/openDirectPut: stallTimeoutMs/);
    await expect(openDirectPut({ logDir: 'x', onStall: 'ignore' as never })).rejects.toThrow(
      "openDirectPut: onStall must be 'warn' or 'error'",
    );
  });
});
