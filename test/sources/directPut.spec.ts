import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CreateDeliveryStreamInput } from '@aws-sdk/client-firehose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  directoryDestination,
  FirehoseApiError,
  InvalidOptionError,
  openDeliveryStream,
  openDirectPut,
  settlementOf,
  settleRecord,
  type DirectPut,
  type FirehoseRecord,
} from '../../src/index.js';
import { bufferBySizeOrTime, deliverTo } from '../../operators/index.js';
import { memoryDestination } from '../../src/testing/index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-direct-put-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const text = (r: FirehoseRecord): string => Buffer.from(r.data).toString('utf8');
const segments = async (logDir: string): Promise<string[]> => (await readdir(logDir)).filter((f) => f.endsWith('.wal'));
const bytes = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

/** Subscribes to the source's records and collects them. */
function collect(source: DirectPut): FirehoseRecord[] {
  const seen: FirehoseRecord[] = [];
  source.records.subscribe((r) => seen.push(r));
  return seen;
}

async function expectApiError(promise: Promise<unknown>, type: string, message?: RegExp): Promise<FirehoseApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FirehoseApiError);
  expect((err as FirehoseApiError).type).toBe(type);
  if (message !== undefined) expect((err as FirehoseApiError).message).toMatch(message);
  return err as FirehoseApiError;
}

describe('openDirectPut', () => {
  it('should answer PutRecord with a record id once the record is in the log, and emit the record', async () => {
    const logDir = await tempDir();
    const source = await openDirectPut({ logDir });
    const seen = collect(source);
    const answer = await source.putRecord({ Data: '{"a":1}\n' });
    expect(answer).toEqual({ RecordId: expect.any(String), Encrypted: false });
    expect(seen.map(text)).toEqual(['{"a":1}\n']);
    expect(seen[0]!.recordId).toBe(answer.RecordId);
    // On disk: a second process opening the same log (as after a crash) reads the record back.
    const again = await openDirectPut({ logDir });
    expect(again.replayedRecords).toBe(1);
    const replayed = collect(again);
    expect(replayed.map(text)).toEqual(['{"a":1}\n']);
    expect(replayed[0]!.recordId).toBe(answer.RecordId);
    expect(replayed[0]!.approximateArrivalTimestamp).toBe(seen[0]!.approximateArrivalTimestamp);
  });

  it('should answer PutRecordBatch with one entry per record, in order, with distinct record ids', async () => {
    const source = await openDirectPut({ logDir: await tempDir() });
    const seen = collect(source);
    const answer = await source.putRecordBatch([{ Data: 'a' }, { Data: bytes(3, 0x62) }, { Data: 'c' }]);
    expect(answer.FailedPutCount).toBe(0);
    expect(answer.Encrypted).toBe(false);
    expect(answer.RequestResponses).toHaveLength(3);
    const ids = answer.RequestResponses.map((r) => ('RecordId' in r ? r.RecordId : undefined));
    expect(new Set(ids).size).toBe(3);
    expect(seen.map((r) => r.recordId)).toEqual(ids);
    expect(seen.map(text)).toEqual(['a', 'bbb', 'c']);
  });

  it('should let concurrent puts share one sync of the log (group commit)', async () => {
    const source = await openDirectPut({ logDir: await tempDir() });
    collect(source);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => source.putRecord({ Data: `r${i}` })));
    expect(answers).toHaveLength(50);
    // The first put starts a sync; the 49 that arrive meanwhile share the next one.
    expect(source.logSyncs).toBeLessThanOrEqual(2);
  });

  it("should refuse what breaks Firehose's limits with InvalidArgumentException, and accept what is at the limit", async () => {
    const source = await openDirectPut({ logDir: await tempDir() });
    collect(source);
    await expect(source.putRecord({ Data: bytes(1_024_000) })).resolves.toHaveProperty('RecordId');
    await expectApiError(source.putRecord({ Data: bytes(1_024_001) }), 'InvalidArgumentException', /1024001 bytes.*at most 1024000/);
    await expectApiError(source.putRecord({} as never), 'InvalidArgumentException', /Data must be bytes/);
    await expectApiError(source.putRecordBatch([]), 'InvalidArgumentException', /1 to 500 records; got 0/);
    await expectApiError(source.putRecordBatch(Array.from({ length: 501 }, () => ({ Data: 'x' }))), 'InvalidArgumentException', /got 501/);
    await expect(source.putRecordBatch(Array.from({ length: 500 }, () => ({ Data: 'x' })))).resolves.toHaveProperty('FailedPutCount', 0);
    // 4 MiB in all is the most; one byte more is refused whole.
    const big = bytes(1_000_000);
    await expect(source.putRecordBatch([big, big, big, big, bytes(194_304)].map((Data) => ({ Data })))).resolves.toHaveProperty(
      'FailedPutCount',
      0,
    );
    await expectApiError(
      source.putRecordBatch([big, big, big, big, bytes(194_305)].map((Data) => ({ Data }))),
      'InvalidArgumentException',
      /4194305 bytes/,
    );
  });

  it('should throttle with "Slow down." per record once unsettled bytes reach the budget, and accept again as records settle', async () => {
    const source = await openDirectPut({ logDir: await tempDir(), maxInFlightBytes: 4 * 1_048_576 });
    const seen = collect(source);
    const record = { Data: bytes(1_000_000) };
    // 4,000,000 bytes in flight, below the budget of 4,194,304: the next record is accepted, the ones after it are refused.
    await source.putRecordBatch([record, record, record, record]);
    const answer = await source.putRecordBatch([record, record, record]);
    expect(answer.FailedPutCount).toBe(2);
    expect(answer.RequestResponses[0]).toHaveProperty('RecordId');
    expect(answer.RequestResponses.slice(1)).toEqual([
      { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
      { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
    ]);
    await expectApiError(source.putRecord({ Data: 'x' }), 'ServiceUnavailableException', /^Slow down\.$/);
    expect(source.budget.peakBytes).toBe(5_000_000);
    // Settling releases the budget, once the settlement is in the log's checkpoint on disk.
    settleRecord(seen[0], 'delivered');
    await source.checkpoint();
    expect(source.budget.inFlightBytes).toBe(4_000_000);
    await expect(source.putRecord({ Data: 'x' })).resolves.toHaveProperty('RecordId');
  });

  it('should delete log segments as their records settle, and leave an empty log after a full drain', async () => {
    const logDir = await tempDir();
    const source = await openDirectPut({ logDir, segmentBytes: 1000 });
    const seen = collect(source);
    for (let i = 0; i < 10; i++) await source.putRecordBatch([{ Data: bytes(1000) }]);
    expect(await segments(logDir)).toHaveLength(10); // each 1000-byte record fills a 1000-byte segment
    expect(source.logBytes).toBeGreaterThan(10_000);
    seen.slice(0, 6).forEach((r) => settleRecord(r, 'delivered'));
    await source.close();
    await source.closeLog();
    // Settled segments are gone; the 4 unsettled records stay, to be replayed.
    expect(await segments(logDir)).toHaveLength(4);
    const again = await openDirectPut({ logDir, segmentBytes: 1000 });
    const replayed = collect(again);
    expect(replayed.map((r) => r.recordId)).toEqual(seen.slice(6).map((r) => r.recordId));
    replayed.forEach((r) => settleRecord(r, 'delivered'));
    await again.close();
    await again.closeLog();
    expect(await readdir(logDir)).toEqual([]);
  });

  it("should release each record's own bytes once, however often and in whatever order it is settled, across segments", async () => {
    const logDir = await tempDir();
    const source = await openDirectPut({ logDir, segmentBytes: 300 });
    const seen = collect(source);
    const sizes = [10, 200, 30, 250, 5, 120, 60];
    for (const n of sizes) await source.putRecordBatch([{ Data: bytes(n) }, { Data: bytes(n + 1) }]);
    expect(await segments(logDir)).toHaveLength(4);
    const total = sizes.reduce((sum, n) => sum + 2 * n + 1, 0);
    expect(source.budget.inFlightBytes).toBe(total);
    // Backwards, each twice, every third through a settlement object taken from the record (as teeBackup does).
    let released = 0;
    for (let i = seen.length - 1; i >= 5; i--) {
      if (i % 3 === 0) expect(settlementOf(seen[i])!.settle('delivered')).toBe(true);
      else expect(settleRecord(seen[i], 'delivered')).toBe(true);
      expect(settleRecord(seen[i], 'failed')).toBe(false);
      released += seen[i]!.data.byteLength;
    }
    await source.checkpoint();
    expect(source.budget.inFlightBytes).toBe(total - released);
    seen.slice(0, 5).forEach((r) => settleRecord(r, 'dropped'));
    await source.checkpoint();
    expect(source.budget.inFlightBytes).toBe(0);
    expect(await segments(logDir)).toHaveLength(1); // the open one stays until closed
    await source.close();
    await source.closeLog();
    expect(await readdir(logDir)).toEqual([]);
  });

  it('should replay after a crash only the records that the checkpoint does not show as settled', async () => {
    const logDir = await tempDir();
    const source = await openDirectPut({ logDir });
    const seen = collect(source);
    await source.putRecordBatch(Array.from({ length: 10 }, (_, i) => ({ Data: `r${i}` })));
    // Settled out of order, all in one segment that is still open.
    for (const i of [0, 1, 2, 3, 5, 7]) settleRecord(seen[i], 'delivered');
    await source.checkpoint();
    expect(source.budget.inFlightBytes).toBe(4 * 2);
    // A crash: the process is gone without closing anything; another opens the same log.
    const again = await openDirectPut({ logDir });
    expect(collect(again).map(text)).toEqual(['r4', 'r6', 'r8', 'r9']);
    expect([again.replayedRecords, again.replayedBytes]).toEqual([4, 8]);
    // Its records keep their ordinals: settling them (after yet another crash) empties the log.
    const third = await openDirectPut({ logDir });
    collect(third).forEach((r) => settleRecord(r, 'delivered'));
    await third.checkpoint();
    expect(await segments(logDir)).toEqual([]);
    expect((await openDirectPut({ logDir })).replayedRecords).toBe(0);
  });

  it('should never let a checkpoint hide a later segment that reuses a number (segment numbers only grow)', async () => {
    const logDir = await tempDir();
    const first = await openDirectPut({ logDir, segmentBytes: 10 });
    const seen = collect(first);
    await first.putRecord({ Data: 'old record' }); // fills segment 1, which is sealed
    settleRecord(seen[0], 'delivered'); // segment 1 settled: deleted, and named in the checkpoint
    await first.checkpoint();
    expect(await segments(logDir)).toEqual([]);
    // Crash, restart: no segment is left, but the next one must not be number 1 again.
    const second = await openDirectPut({ logDir, segmentBytes: 10 });
    collect(second);
    await second.putRecord({ Data: 'new record' });
    expect(await segments(logDir)).toEqual(['segment-00000000000000000002.wal']);
    const third = await openDirectPut({ logDir, segmentBytes: 10 });
    expect(collect(third).map(text)).toEqual(['new record']);
  });

  it('should replay every record when the checkpoint is damaged (more again, never less)', async () => {
    const logDir = await tempDir();
    const source = await openDirectPut({ logDir });
    const seen = collect(source);
    await source.putRecordBatch([{ Data: 'a' }, { Data: 'b' }]);
    settleRecord(seen[0], 'delivered');
    await source.checkpoint();
    await writeFile(join(logDir, 'settled.json'), '{"nextSequence":2,"segments":[[1,[5,1]]]}');
    expect(collect(await openDirectPut({ logDir })).map(text)).toEqual(['a', 'b']);
    await writeFile(join(logDir, 'settled.json'), '{"nextSeq');
    expect(collect(await openDirectPut({ logDir })).map(text)).toEqual(['a', 'b']);
  });

  it('should read back segments written in the earlier format (one frame per record, no magic)', async () => {
    const logDir = await tempDir();
    const frame = (id: string, data: string): Buffer => {
      const payload = Buffer.concat([Buffer.alloc(10), Buffer.from(id), Buffer.from(data)]);
      payload.writeDoubleLE(1_700_000_000_000, 0);
      payload.writeUInt16LE(id.length, 8);
      const header = Buffer.alloc(8);
      header.writeUInt32LE(payload.byteLength, 0);
      header.writeUInt32LE(crc32(payload), 4);
      return Buffer.concat([header, payload]);
    };
    await writeFile(join(logDir, 'segment-00000000000000000001.wal'), Buffer.concat([frame('id-1', 'one'), frame('id-2', 'two')]));
    const replayed = collect(await openDirectPut({ logDir }));
    expect(replayed.map((r) => [r.recordId, text(r), r.approximateArrivalTimestamp])).toEqual([
      ['id-1', 'one', 1_700_000_000_000],
      ['id-2', 'two', 1_700_000_000_000],
    ]);
  });

  it('should cut off a torn last frame (a write a crash cut short) and replay the whole frames', async () => {
    const logDir = await tempDir();
    const source = await openDirectPut({ logDir });
    collect(source);
    await source.putRecordBatch([{ Data: 'one' }, { Data: 'two' }]);
    const [segment] = await readdir(logDir);
    await appendFile(join(logDir, segment!), Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, 5, 6]));
    const again = await openDirectPut({ logDir });
    expect(collect(again).map(text)).toEqual(['one', 'two']);
  });

  it('should answer ServiceUnavailableException after close, complete the records and finish the puts under way', async () => {
    const source = await openDirectPut({ logDir: await tempDir() });
    const all = lastValueFrom(source.records.pipe(toArray()));
    const underWay = source.putRecord({ Data: 'last' });
    const closed = source.close();
    await expectApiError(source.putRecord({ Data: 'late' }), 'ServiceUnavailableException', /shutting down/);
    await expect(underWay).resolves.toHaveProperty('RecordId');
    await closed;
    expect((await all).map(text)).toEqual(['last']);
  });

  it('should emit the records accepted before anyone subscribed, and refuse a second subscriber', async () => {
    const source = await openDirectPut({ logDir: await tempDir() });
    await source.putRecord({ Data: 'early' });
    expect(collect(source).map(text)).toEqual(['early']);
    let error: unknown;
    source.records.subscribe({ error: (e: unknown) => (error = e) });
    expect(String(error)).toMatch(/only once/);
  });

  it('should throw InvalidOptionError for an invalid option', async () => {
    await expect(openDirectPut({ logDir: '' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(openDirectPut({ logDir: 'x', maxInFlightBytes: 1000 })).rejects.toThrow(/maxInFlightBytes must be an integer ≥ 4194304/);
  });

  it('should flush a buffer larger than the budget once puts are refused, not at its interval (virtual time)', async () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const logDir = await tempDir();
    const source = await openDirectPut({ logDir, maxInFlightBytes: 4 * 1_048_576, scheduler });
    // SizeInMBs 16 and IntervalInSeconds 300 over a 4 MiB budget: the batch can never fill.
    const batches: { size: number; reason: string; at: number }[] = [];
    source.records
      .pipe(
        bufferBySizeOrTime({
          maxBytes: 16 * 1_048_576,
          maxMs: 300_000,
          scheduler,
          onFlush: (batch, f) => void batches.push({ size: batch.length, reason: f.reason, at: scheduler.now() }),
        }),
      )
      .subscribe();
    const record = { Data: bytes(1_000_000) };
    await source.putRecordBatch([record, record, record, record]);
    expect(batches).toEqual([]); // 4,000,000 bytes of 4,194,304: room left, the batch waits
    await source.putRecord(record);
    expect(source.budget.full).toBe(true);
    // Puts are refused now, and nothing more can come until these records settle: out at once.
    expect(batches).toEqual([{ size: 5, reason: 'budget', at: 0 }]);
    await expectApiError(source.putRecord(record), 'ServiceUnavailableException', /Slow down/);
    await source.close();
  });

  it("should deliver a stream's buffer larger than its budget once the budget fills, from its configuration (virtual time)", async () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const dataDir = await tempDir();
    const stream = await openDeliveryStream(
      {
        DeliveryStreamName: 'big-buffer',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/firehose',
          BucketARN: 'arn:aws:s3:::lake',
          BufferingHints: { SizeInMBs: 16, IntervalInSeconds: 300 },
        },
      },
      { dataDir, maxInFlightBytes: 4 * 1_048_576, scheduler },
    );
    const delivered = firstValueFrom(stream.results);
    const record = { Data: bytes(1_000_000) };
    await stream.putRecordBatch([record, record, record, record]);
    await stream.putRecord(record);
    // The budget is full: the five records are delivered without waiting for the 300 s interval.
    expect((await delivered).records).toHaveLength(5);
    expect(scheduler.now()).toBe(0);
    await stream.stop();
  });

  it('should give a stream from its configuration a budget that lets its buffers fill: twice them, at least 64 MiB, unless maxInFlightBytes is given', async () => {
    const MIB = 1_048_576;
    const config = (name: string, sizeMb: number): CreateDeliveryStreamInput => ({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        BucketARN: 'arn:aws:s3:::lake',
        BufferingHints: { SizeInMBs: sizeMb, IntervalInSeconds: 300 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'Lambda',
              Parameters: [
                { ParameterName: 'LambdaArn', ParameterValue: 'arn:aws:lambda:us-east-1:000000000000:function:same' },
                { ParameterName: 'BufferSizeInMBs', ParameterValue: '3' },
              ],
            },
          ],
        },
      },
    });
    const dataDir = await tempDir();
    const environment = {
      lambdaHandlers: {
        same: (event: { records: Array<{ recordId: string; data: string }> }) => ({
          records: event.records.map((r) => ({ ...r, result: 'Ok' as const })),
        }),
      },
    };
    // A 100 MiB buffer behind a 3 MiB Lambda buffer: with the old 64 MiB budget, the destination's buffer,
    // which hears nothing of the budget behind the Lambda, waited for its 300 s with producers refused.
    const big = await openDeliveryStream(config('big', 100), { dataDir, environment });
    expect(big.source!.budget.maxBytes).toBe(206 * MIB);
    const small = await openDeliveryStream(config('small', 5), { dataDir, environment });
    expect(small.source!.budget.maxBytes).toBe(64 * MIB);
    const given = await openDeliveryStream(config('given', 100), { dataDir, environment, maxInFlightBytes: 8 * MIB });
    expect(given.source!.budget.maxBytes).toBe(8 * MIB);
    await Promise.all([big.stop(), small.stop(), given.stop()]);
  });

  it('should flush replayed records that fill the budget as soon as they are subscribed to (virtual time)', async () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const logDir = await tempDir();
    const first = await openDirectPut({ logDir, maxInFlightBytes: 4 * 1_048_576 });
    const record = { Data: bytes(1_000_000) };
    await first.putRecordBatch([record, record, record, record]);
    await first.putRecord(record);
    // A crash: the five records were never delivered; the next process replays them, which fills its budget.
    const again = await openDirectPut({ logDir, maxInFlightBytes: 4 * 1_048_576, scheduler });
    expect(again.replayedRecords).toBe(5);
    const reasons: string[] = [];
    again.records
      .pipe(bufferBySizeOrTime({ maxBytes: 16 * 1_048_576, maxMs: 300_000, scheduler, onFlush: (_, f) => void reasons.push(f.reason) }))
      .subscribe();
    expect(reasons).toEqual(['budget']);
    expect(scheduler.now()).toBe(0);
    await again.close();
  });

  it('should feed a pipeline to a directory, and keep memory and the log bounded behind a slow destination (virtual time)', async () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.maxFrames = Infinity;
    const logDir = await tempDir();
    const budget = 4 * 1_048_576;
    const source = await openDirectPut({ logDir, maxInFlightBytes: budget, segmentBytes: 1_048_576, scheduler });
    // A slow destination: each batch takes 60 s of virtual time.
    const slow = memoryDestination<FirehoseRecord>({ latencyMs: 60_000, scheduler });
    source.records.pipe(bufferBySizeOrTime({ maxRecords: 10, maxMs: 1000, scheduler }), deliverTo(slow, { scheduler })).subscribe();
    const record = { Data: bytes(100_000) };
    let accepted = 0;
    let throttled = 0;
    for (let round = 0; round < 5; round++) {
      // Producers push far more than the budget while the destination sits on its batches.
      for (let i = 0; i < 10; i++) {
        const answer = await source.putRecordBatch(Array.from({ length: 20 }, () => record));
        accepted += 20 - answer.FailedPutCount;
        throttled += answer.FailedPutCount;
        answer.RequestResponses.filter((r) => 'ErrorCode' in r).forEach((r) =>
          expect(r).toEqual({ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }),
        );
      }
      expect(source.budget.inFlightBytes).toBeLessThanOrEqual(budget + 100_000);
      expect(source.logBytes).toBeLessThanOrEqual(2 * budget + 2 * 1_048_576);
      // Virtual time passes: the destination acknowledges what it holds, records settle, room comes back once
      // the settlements are in the log's checkpoint.
      scheduler.flush();
      await source.checkpoint();
    }
    expect(throttled).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThanOrEqual(5 * 40);
    expect(source.budget.peakBytes).toBeLessThanOrEqual(budget + 100_000);
    await source.close();
    scheduler.flush();
    expect(slow.delivered).toHaveLength(accepted);
    await source.closeLog();
    expect(await readdir(logDir)).toEqual([]);
  });

  it('should deliver every accepted record to a GZIP directory destination and empty the log', async () => {
    const logDir = await tempDir();
    const out = await tempDir();
    const source = await openDirectPut({ logDir });
    const done = lastValueFrom(
      source.records
        .pipe(bufferBySizeOrTime({ maxRecords: 100 }), deliverTo(directoryDestination({ path: out, streamName: 's', compression: 'GZIP' })))
        .pipe(toArray()),
    );
    await Promise.all(
      Array.from({ length: 8 }, (_, c) => source.putRecordBatch(Array.from({ length: 50 }, (_, i) => ({ Data: `${c}-${i}\n` })))),
    );
    await source.close();
    const results = await done;
    expect(results.every((r) => r.status === 'delivered')).toBe(true);
    await source.closeLog();
    expect(await readdir(logDir)).toEqual([]);
    const files = (await readdir(out, { recursive: true })).filter((f) => f.endsWith('.gz'));
    const lines = (await Promise.all(files.map(async (f) => gunzipSync(await readFile(join(out, f))).toString('utf8'))))
      .join('')
      .split('\n')
      .filter(Boolean);
    expect(lines.sort()).toEqual(
      Array.from({ length: 8 }, (_, c) => Array.from({ length: 50 }, (_, i) => `${c}-${i}`))
        .flat()
        .sort(),
    );
  });
});
