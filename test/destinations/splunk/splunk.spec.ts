/**
 * splunkHecDestination through `deliverTo`, against the HEC test server on 127.0.0.1 (written from Splunk's
 * HEC documentation; see test/support/hec/): the shared conformance suite, failure records under
 * `splunk-failed/`, and what a restarted HEC does to pending acknowledgements.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverTo } from '../../../operators/index.js';
import { directoryDestination } from '../../../src/destinations/directory/index.js';
import { splunkHecDestination } from '../../../src/destinations/splunk/index.js';
import type { FailureRecord, FirehoseRecord } from '../../../src/index.js';
import { trackSettlements } from '../../../src/testing/index.js';
import { startHecTestServer, type HecTestServer } from '../../support/hec/hecTestServer.js';
import { describeDestinationConformance } from '../conformance.js';

const TOKEN = 'c0ffee00-1111-4222-8333-444455556666';

/** Every failure record below `root`, with the path of its file. */
async function readFailures(root: string): Promise<Array<FailureRecord & { file: string }>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const out: Array<FailureRecord & { file: string }> = [];
  for (const e of entries.filter((x) => x.isFile())) {
    const path = join(e.parentPath, e.name);
    for (const l of (await readFile(path, 'utf8')).split('\n'))
      if (l !== '') out.push({ ...(JSON.parse(l) as FailureRecord), file: relative(root, path).split(sep).join('/') });
  }
  return out;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});
async function hec(options: Partial<Parameters<typeof startHecTestServer>[0]> = {}): Promise<HecTestServer> {
  const s = await startHecTestServer({ tokens: { [TOKEN]: {} }, ...options });
  cleanups.push(() => s.stop());
  return s;
}
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rx-firehose-splunk-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describeDestinationConformance('splunkHecDestination (to the HEC test server on 127.0.0.1)', {
  oneWireRequestPerBatch: true,
  duplicatesAfterLostAnswer: true,
  // Acks are polled every 100 ms here: a second is ample, and short enough for the lost ack to time out.
  ackTimeoutMs: 1_000,
  create: async () => {
    const server = await startHecTestServer({ tokens: { [TOKEN]: {} } });
    const errors = await mkdtemp(join(tmpdir(), 'rx-firehose-splunk-conformance-'));
    return {
      destination: splunkHecDestination({ endpoint: server.endpoint, token: TOKEN, ackPollIntervalMs: 100 }),
      errorOutput: directoryDestination({ path: errors, streamName: 'conformance', fsync: false }),
      // Raw data is one event per line: the conformance records are lines.
      readDelivered: async () => server.collector.indexed.map((e) => String(e.event)),
      readFailures: async () => (await readFailures(errors)).map(({ file: _file, ...f }) => f),
      close: async () => {
        await server.stop();
        await rm(errors, { recursive: true, force: true });
      },
    };
  },
});

const text = (s: string) => new TextEncoder().encode(s);
const recordsOf = (n: number): FirehoseRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    recordId: `r${i}`,
    data: text(`event ${i}\n`),
    approximateArrivalTimestamp: 1_700_000_000_000 + i,
    kinesisRecordMetadata: {
      shardId: 'shardId-000000000000',
      partitionKey: 'k',
      sequenceNumber: `4957719392811414733960077847108249239316413987720003584${i}`,
      subsequenceNumber: 0,
      approximateArrivalTimestamp: 1_700_000_000_000,
    },
  }));

describe('splunkHecDestination through deliverTo', () => {
  it('should write what HEC refuses for good to splunk-failed/ with Firehose’s fields and error code, without the token, and not retry it', async () => {
    const s = await hec({ tokens: { [TOKEN]: { disabled: true } } });
    const errors = await tempDir();
    const records = recordsOf(2);
    const log = trackSettlements(records);
    const results = await lastValueFrom(
      from([records]).pipe(
        deliverTo(splunkHecDestination({ endpoint: s.endpoint, token: TOKEN, ackPollIntervalMs: 100 }), {
          errorOutput: directoryDestination({ path: errors, streamName: 'clicks', fsync: false }),
          backoff: { initialMs: 1, maxMs: 5 },
        }),
        toArray(),
      ),
    );
    expect(results).toMatchObject([{ status: 'failed-to-error-output', errorCode: 'Splunk.DisabledToken', attempts: 1 }]);
    expect(s.collector.requests).toHaveLength(1);
    const failures = (await readFailures(errors)).sort((a, b) => a.arrivalTimestamp - b.arrivalTimestamp);
    expect(failures.map((f) => Object.keys(f))).toEqual(
      Array(2).fill([
        'attemptsMade',
        'arrivalTimestamp',
        'errorCode',
        'errorMessage',
        'attemptEndingTimestamp',
        'rawData',
        'EventId',
        'file',
      ]),
    );
    failures.forEach((f, i) => {
      expect(f.file).toMatch(/^splunk-failed\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/clicks-/);
      expect(f).toMatchObject({
        attemptsMade: 1,
        arrivalTimestamp: records[i]!.approximateArrivalTimestamp,
        errorCode: 'Splunk.DisabledToken',
        errorMessage: expect.stringMatching(/^The HEC token is disabled\..*"Token disabled" \(code 1\)/),
        rawData: Buffer.from(`event ${i}\n`).toString('base64'),
        EventId: `${records[i]!.kinesisRecordMetadata!.sequenceNumber}.0`,
      });
    });
    expect(JSON.stringify({ results, failures })).not.toContain(TOKEN);
    expect(log.events.map((e) => e.outcome)).toEqual(['failed', 'failed']);
  });

  it('should retry a busy HEC (503, code 9) and deliver, settling the records only once the ack is true', async () => {
    const s = await hec({ indexing: 'manual' });
    s.collector.failNext(2, { status: 503, text: 'Server is busy', code: 9 });
    const records = recordsOf(3);
    const log = trackSettlements(records);
    const done = lastValueFrom(
      from([records]).pipe(
        deliverTo(splunkHecDestination({ endpoint: s.endpoint, token: TOKEN, ackPollIntervalMs: 100 }), {
          backoff: { initialMs: 1, maxMs: 5 },
        }),
        toArray(),
      ),
    );
    // Accepted on the third try; nothing settles while the data is not indexed.
    await s.collector.whenAccepted(1);
    expect(log.events).toEqual([]);
    s.collector.indexPending();
    const results = await done;
    expect(results).toMatchObject([{ status: 'delivered', attempts: 3, location: expect.stringContaining('#ackId=0') }]);
    expect(log.events.map((e) => e.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(s.collector.indexed.map((e) => e.event)).toEqual(['event 0', 'event 1', 'event 2']);
  });

  it('should send again what a restarted HEC lost: the pending ack fails when HEC numbers a new request alike, and the batch arrives', async () => {
    const s = await hec({ indexing: 'manual' });
    const destination = splunkHecDestination({ endpoint: s.endpoint, token: TOKEN, ackPollIntervalMs: 100 });
    const batches = new Subject<FirehoseRecord[]>();
    const done = lastValueFrom(batches.pipe(deliverTo(destination, { concurrency: 2, backoff: { initialMs: 1, maxMs: 5 } }), toArray()));
    batches.next(recordsOf(1)); // accepted as ackId 0, not indexed
    await s.collector.whenAccepted(1);
    // Splunk restarts: ackId 0 and its unindexed data are gone; from now on it indexes at once.
    await s.restart();
    s.collector.setIndexing({ afterMs: 0 });
    batches.next([{ ...recordsOf(2)[1]!, data: text('second\n') }]); // numbered 0 again
    batches.complete();
    const results = await done;
    expect(results.map((r) => [r.status, r.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 2],
    ]);
    expect(s.collector.indexed.map((e) => e.event)).toEqual(['second', 'event 0']);
  });
});
