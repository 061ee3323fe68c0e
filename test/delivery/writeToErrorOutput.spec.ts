import { gunzipSync } from 'node:zlib';
import { asyncScheduler, lastValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { writeToErrorOutput } from '../../src/delivery/writeToErrorOutput.js';
import { DeliveryError } from '../../src/destinations/DeliveryError.js';
import { checkObjectStoreOptions } from '../../src/destinations/objectStore/objectStoreOptions.js';
import { objectStoreDestination } from '../../src/destinations/objectStore/objectStoreDestination.js';
import { FIREHOSE_BACKOFF } from '../../src/retry/backoffDelayMs.js';
import { Settlement } from '../../src/settlement/Settlement.js';
import { attachSettlement } from '../../src/settlement/sideTable.js';
import { recordOfSize } from '../../src/testing/index.js';

// Writing failure records: built once (laid out, compressed, named), and the same bytes resent on retry,
// like a destination's request; the engine settles the records once the error output holds them.
describe('writeToErrorOutput', () => {
  const failure = { errorCode: 'S3.Unavailable', errorMessage: 'down', attemptsMade: 3, attemptEndingTimestamp: 5 };

  it('should build a compressed failure object once and resend the very same bytes under the same key on retry', async () => {
    const layout = checkObjectStoreOptions('test', { streamName: 's', compression: 'GZIP' });
    const puts: { key: string; body: Uint8Array }[] = [];
    const out = objectStoreDestination('Store', layout, async (key, body) => {
      puts.push({ key, body });
      if (puts.length < 3) throw new DeliveryError('Store.SlowDown', 'slow down', { kind: 'throttled' });
      return `store://${key}`;
    });
    const outcomes: string[] = [];
    const records = [recordOfSize(100), recordOfSize(200)];
    records.forEach((r) => attachSettlement(r, new Settlement((o) => outcomes.push(o))));
    // No backoff: what is under test is what each attempt sends, not when.
    const policy = {
      retryDurationMs: 60_000,
      backoff: { ...FIREHOSE_BACKOFF, initialMs: 0 },
      random: () => 0.5,
      scheduler: asyncScheduler,
    };
    const written = lastValueFrom(
      writeToErrorOutput(
        { records, failures: [failure, failure], stage: 'S3', errorOutputType: 's3-failed', batchId: 'b1', fallbackArrivalMs: 0 },
        out,
        policy,
        new AbortController().signal,
      ),
    );
    const result = await written;
    expect(puts).toHaveLength(3);
    // One build: the same key and the very same compressed buffer (not an equal copy) on every attempt.
    expect(new Set(puts.map((p) => p.key)).size).toBe(1);
    expect(puts[1]!.body).toBe(puts[0]!.body);
    expect(puts[2]!.body).toBe(puts[0]!.body);
    expect(gunzipSync(puts[0]!.body).toString('utf8').trim().split('\n')).toHaveLength(2);
    expect(result.errorLocation).toBe(`store://${puts[0]!.key}`);
    expect(outcomes).toEqual(['failed', 'failed']);
  });

  it('should leave the records unsettled and error with UndeliverableRecordsError when the error output finally fails', async () => {
    const layout = checkObjectStoreOptions('test', { streamName: 's' });
    const out = objectStoreDestination('Store', layout, async () => {
      throw new DeliveryError('Store.AccessDenied', 'denied', { kind: 'permanent' });
    });
    const outcomes: string[] = [];
    const records = [recordOfSize(10)];
    records.forEach((r) => attachSettlement(r, new Settlement((o) => outcomes.push(o))));
    const scheduler = new TestScheduler(() => {});
    const written = lastValueFrom(
      writeToErrorOutput(
        { records, failures: [failure], stage: 'S3', errorOutputType: 's3-failed', batchId: 'b2', fallbackArrivalMs: 0 },
        out,
        { retryDurationMs: 60_000, backoff: FIREHOSE_BACKOFF, random: () => 0.5, scheduler },
        new AbortController().signal,
      ),
    );
    await expect(written).rejects.toMatchObject({ name: 'UndeliverableRecordsError', records });
    expect(outcomes).toEqual([]);
  });
});
