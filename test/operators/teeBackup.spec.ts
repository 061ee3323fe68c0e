import { describe, expect, it } from 'vitest';
import { map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bufferBySizeOrTime, deliverTo, teeBackup } from '../../operators/index.js';
import { DeliveryError, InvalidOptionError, UndeliverableRecordsError, type DeliveryResult, type FirehoseRecord } from '../../src/index.js';
import { memoryDestination, recordOfSize, trackSettlements } from '../../src/testing/index.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('teeBackup', () => {
  it('should pass the same objects through in the same frames, and complete once the backup drained', () => {
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const v = { a: recordOfSize(1, { recordId: 'a' }), b: recordOfSize(1, { recordId: 'b' }), c: recordOfSize(1, { recordId: 'c' }) };
      const backup = memoryDestination<FirehoseRecord>({ latencyMs: 50 });
      const source = cold('-a-b-c|', v);
      // The backup buffer flushes at completion (6); its delivery takes 50 ms.
      expectObservable(source.pipe(teeBackup(backup))).toBe('-a-b-c 50ms |', v);
      flush();
      expect(backup.attempts.map((a) => [a.atMs, a.records])).toEqual([[56, [v.a, v.b, v.c]]]);
      expect(backup.delivered[0]).toBe(v.a);
    });
  });

  it("should buffer the backup with Firehose's backup defaults: 5 MiB or 300 s", () => {
    testScheduler().run(({ hot, flush }) => {
      const backup = memoryDestination<FirehoseRecord>();
      const mib = 1_048_576;
      const v = { a: recordOfSize(10), b: recordOfSize(3 * mib), c: recordOfSize(2 * mib), d: recordOfSize(1) };
      // a (at 0) waits 300 s; b (400.001 s) does not fill the buffer, b + c (400.002 s) fill 5 MiB exactly and go
      // at once; d (410.003 s) waits 300 s again.
      hot('a 400s b c 10s d', v).pipe(teeBackup(backup)).subscribe();
      flush();
      expect(backup.attempts.map((a) => [a.atMs, a.records.length])).toEqual([
        [300_000, 1],
        [400_002, 2],
        [410_003 + 300_000, 1],
      ]);
    });
  });

  it('should settle a record only when both its paths finished', () => {
    const scheduler = new TestScheduler(() => undefined);
    scheduler.maxFrames = Number.POSITIVE_INFINITY;
    const records = [recordOfSize(1, { recordId: 'x' })];
    const log = trackSettlements(records, () => scheduler.now());
    const backup = memoryDestination<FirehoseRecord>({ name: 'Backup', latencyMs: 500, scheduler });
    const main = memoryDestination<FirehoseRecord>({ name: 'Main', latencyMs: 20, scheduler });
    of(...records)
      .pipe(
        teeBackup(backup, { scheduler, maxMs: 100, firehoseRanges: false }),
        bufferBySizeOrTime({ maxMs: 0, scheduler }),
        deliverTo(main, { scheduler }),
      )
      .subscribe();
    scheduler.flush();
    // main delivered at 20, backup at 500: settled once, at 500.
    expect(main.attempts[0]!.atMs).toBe(20);
    expect(log.events).toEqual([{ index: 0, outcome: 'delivered', atMs: 500 }]);
  });

  it('should settle as failed when the backup wrote a record to its error output', () => {
    const scheduler = new TestScheduler(() => undefined);
    const records = [recordOfSize(1)];
    const log = trackSettlements(records, () => scheduler.now());
    const backup = memoryDestination<FirehoseRecord>({ scheduler }).failNext(
      1,
      new DeliveryError('B.Denied', 'denied', { permanent: true }),
    );
    const errors = memoryDestination<FirehoseRecord>({ scheduler });
    const main = memoryDestination<FirehoseRecord>({ scheduler });
    const results: DeliveryResult<FirehoseRecord>[] = [];
    of(...records)
      .pipe(
        teeBackup(backup, { scheduler, errorOutput: errors, onResult: (r) => results.push(r) }),
        bufferBySizeOrTime({ scheduler }),
        deliverTo(main, { scheduler }),
      )
      .subscribe();
    scheduler.flush();
    expect(results.map((r) => r.status)).toEqual(['failed-to-error-output']);
    expect(errors.failureWrites[0]!.failures[0]!.errorCode).toBe('B.Denied');
    expect(log.events.map((e) => e.outcome)).toEqual(['failed']);
  });

  it('should report BackupTo<name> metrics', () => {
    const scheduler = new TestScheduler(() => undefined);
    const names: string[] = [];
    of(recordOfSize(1))
      .pipe(teeBackup(memoryDestination<FirehoseRecord>({ name: 'S3', scheduler }), { scheduler, metrics: (n) => names.push(n) }))
      .subscribe();
    scheduler.flush();
    expect(names).toEqual(['BackupToS3.Records', 'BackupToS3.Bytes', 'BackupToS3.Success', 'BackupToS3.DataFreshness']);
  });

  it('should drain the backup before passing a source error on', () => {
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const backup = memoryDestination<FirehoseRecord>({ latencyMs: 30 });
      const v = { a: recordOfSize(1) };
      expectObservable(cold('-a-#', v, new Error('source broke')).pipe(teeBackup(backup))).toBe('-a- 30ms #', v, new Error('source broke'));
      flush();
      expect(backup.delivered).toEqual([v.a]);
    });
  });

  it('should error with the records when the backup can reach neither its destination nor an error output', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const v = { a: recordOfSize(1) };
      const backup = memoryDestination<FirehoseRecord>().failNext(1, new DeliveryError('B.Gone', 'gone', { permanent: true }));
      expectObservable(cold('-a|', v).pipe(teeBackup(backup))).toBe(
        '-a#',
        v,
        new UndeliverableRecordsError([v.a], 'B.Gone', 'gone', 'Memory'),
      );
    });
  });

  it('should stop both paths when unsubscribed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions, flush }) => {
      const backup = memoryDestination<FirehoseRecord>();
      const v = { a: recordOfSize(1) };
      const source = cold('-a---|', v);
      expectObservable(source.pipe(teeBackup(backup)), '--!').toBe('-a', v);
      expectSubscriptions(source.subscriptions).toBe('^-!');
      flush();
      expect(backup.attempts).toEqual([]);
    });
  });

  it('should keep working as a plain mirror for values without settlements', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const backup = memoryDestination<string>();
      expectObservable(
        cold('-a-b|', { a: 'x', b: 'y' }).pipe(
          teeBackup(backup),
          map((s) => s.toUpperCase()),
        ),
      ).toBe('-a-b|', { a: 'X', b: 'Y' });
    });
  });

  describe('bad options', () => {
    const backup = memoryDestination<FirehoseRecord>();
    it.each([
      [{ maxMs: 0 }, 'teeBackup: maxMs must be a finite number ≥ 60000 and ≤ 900000 (ms); got 0'],
      [{ maxBytes: 200 * 1_048_576 }, 'teeBackup: maxBytes must be a finite number ≥ 1048576 and ≤ 134217728 (bytes); got 209715200'],
      [{ concurrency: 1.5 }, 'teeBackup: concurrency must be an integer ≥ 1 and ≤ 1024; got 1.5'],
    ])('should throw InvalidOptionError for %o', (options, message) => {
      expect(() => teeBackup(backup, options)).toThrow(InvalidOptionError);
      expect(() => teeBackup(backup, options)).toThrow(message);
    });

    it('should accept a short interval when Firehose ranges are switched off', () => {
      expect(() => teeBackup(backup, { maxMs: 0, firehoseRanges: false })).not.toThrow();
    });
  });
});
