import { Buffer } from 'node:buffer';
import { gzipSync } from 'node:zlib';
import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { decompressRecords, extractCloudWatchLogMessages, InvalidOptionError, settleRecord, type FirehoseRecord } from '../../src/index.js';
import { memoryDestination, trackSettlements } from '../../src/testing/index.js';
import { failuresIn, rec, subscriptionRecord, texts } from './support.js';

const event = (n: number, message: string): FilteredLogEvent => ({
  eventId: `3703467196633235873438918957894917812234781740519${String(n).padStart(7, '0')}`,
  timestamp: 1_764_633_600_000 + n,
  message,
  logStreamName: '2026/12/02/[$LATEST]0123456789abcdef',
  ingestionTime: 1_764_633_600_100 + n,
});
const CONTROL = 'CWL CONTROL MESSAGE: Checking health of destination Firehose.';

const pipeline = (records: FirehoseRecord[], errorOutput?: ReturnType<typeof memoryDestination<unknown>>): Promise<FirehoseRecord[]> =>
  lastValueFrom(
    from(records).pipe(
      decompressRecords(errorOutput === undefined ? {} : { errorOutput }),
      extractCloudWatchLogMessages(errorOutput === undefined ? {} : { errorOutput }),
      toArray(),
    ),
  );

describe('decompressRecords and extractCloudWatchLogMessages', () => {
  it("should turn a subscription record into its log events' messages, as is, and drop control messages", async () => {
    const data = subscriptionRecord('r1', [
      event(1, '{"level":"info","msg":"paid"}'),
      event(2, 'START RequestId: 42 Version: $LATEST\n'),
      event(3, 'ünïcødé ✓'),
    ]);
    const control = subscriptionRecord('r2', [event(0, CONTROL)], 'CONTROL_MESSAGE');
    const log = trackSettlements([data, control]);
    const out = await pipeline([data, control]);
    expect(texts(out)).toEqual(['{"level":"info","msg":"paid"}', 'START RequestId: 42 Version: $LATEST\n', 'ünïcødé ✓']);
    expect(out.map((r) => [r.recordId, r.approximateArrivalTimestamp])).toEqual([
      ['r1-0', 1_764_633_600_000],
      ['r1-1', 1_764_633_600_000],
      ['r1-2', 1_764_633_600_000],
    ]);
    expect(log.events).toEqual([{ index: 1, outcome: 'dropped', atMs: 0 }]);
    for (const r of out) settleRecord(r, 'delivered');
    expect(log.events[1]).toEqual({ index: 0, outcome: 'delivered', atMs: 0 });
  });

  it('should deliver a record that fails to decompress as is under decompression-failed, and go on with the others', async () => {
    const lake = memoryDestination<unknown>();
    const plain = rec('plain', '{"not":"gzipped"}');
    const truncated = { ...subscriptionRecord('cut', [event(1, 'x')]) };
    const cut = rec('cut', truncated.data.subarray(0, truncated.data.byteLength - 6));
    const good = subscriptionRecord('good', [event(1, 'kept')]);
    const log = trackSettlements([plain, cut]);
    const out = await pipeline([plain, cut, good], lake);
    expect(texts(out)).toEqual(['kept']);
    const failures = failuresIn(lake);
    expect(failures.map((f) => [f.type, f.errorCode])).toEqual([
      ['decompression-failed', 'Decompression.Failed'],
      ['decompression-failed', 'Decompression.Failed'],
    ]);
    expect(Buffer.from(failures[0]!.rawData, 'base64')).toEqual(Buffer.from(plain.data));
    expect(Buffer.from(failures[1]!.rawData, 'base64')).toEqual(Buffer.from(cut.data));
    expect(log.events.map((e) => e.outcome)).toEqual(['failed', 'failed']);
  });

  it('should send records that are not subscription records to processing-failed', async () => {
    const lake = memoryDestination<unknown>();
    const bad = [
      rec('a', gzipSync('[1,2]')),
      rec('b', gzipSync('{"messageType":"OTHER"}')),
      rec('c', gzipSync('{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1"}]}')),
    ];
    expect(await pipeline(bad, lake)).toEqual([]);
    expect(failuresIn(lake).map((f) => [f.type, f.errorCode])).toEqual(
      Array(3).fill(['processing-failed', 'CloudWatchLogProcessing.InvalidRecord']),
    );
  });

  it('should bound what a record may decompress to', async () => {
    const lake = memoryDestination<unknown>();
    const bomb = rec('bomb', gzipSync(Buffer.alloc(1 << 20)));
    const out = await lastValueFrom(from([bomb]).pipe(decompressRecords({ errorOutput: lake, maxDecompressedBytes: 1 << 16 }), toArray()));
    expect(out).toEqual([]);
    expect(failuresIn(lake)[0]).toMatchObject({
      type: 'decompression-failed',
      errorMessage: expect.stringContaining('maxDecompressedBytes (65536)'),
    });
    expect(() => decompressRecords({ compressionFormat: 'ZIP' as 'GZIP' })).toThrow(InvalidOptionError);
  });

  it('should emit the messages in the frame the record arrived (marbles)', () => {
    // Frames, kinds and message texts must match (record ids and settlements are checked elsewhere).
    type Frame = { frame: number; notification: { kind: string; value?: FirehoseRecord } };
    const view = (frames: Frame[]) =>
      frames.map((f) => [f.frame, f.notification.kind, f.notification.value && texts([f.notification.value])[0]]);
    const scheduler = new TestScheduler((a, e) => expect(view(a as Frame[])).toEqual(view(e as Frame[])));
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a--c--b|', {
        a: subscriptionRecord('a', [event(1, 'm1'), event(2, 'm2')]),
        c: subscriptionRecord('c', [], 'CONTROL_MESSAGE'),
        b: subscriptionRecord('b', [event(3, 'm3')]),
      });
      expectObservable(source.pipe(decompressRecords({ scheduler }), extractCloudWatchLogMessages({ scheduler }))).toBe('-(xy)--z|', {
        x: rec('a-0', 'm1'),
        y: rec('a-1', 'm2'),
        z: rec('b', 'm3'),
      });
    });
  });

  it('should give back every message of any subscription record (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 8 }), { maxLength: 6 }),
        async (batches) => {
          const records = batches.map((messages, i) =>
            subscriptionRecord(
              `r${i}`,
              messages.map((m, n) => event(n, m)),
            ),
          );
          expect(texts(await pipeline(records))).toEqual(batches.flat());
        },
      ),
      { numRuns: 100 },
    );
  });
});
