import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { bufferBySizeOrTime, deliverTo } from '../../../operators/index.js';
import { directoryDestination } from '../../../src/destinations/directory/index.js';
import { firehoseDocumentId } from '../../../src/destinations/opensearch/firehoseDocumentId.js';
import { openSearchDestination, type OpenSearchDestinationOptions } from '../../../src/destinations/opensearch/index.js';
import type { FirehoseRecord, MetricUnit } from '../../../src/index.js';
import { trackSettlements } from '../../../src/testing/index.js';
import type { OpenSearchBulkServer } from '../../support/openSearchBulkServer.js';
import { readFailureFiles } from '../../support/readFailureRecords.js';
import { testResources } from './support.js';

const { start, tempDir } = testResources();
const readFailures = readFailureFiles;

const ARRIVAL = Date.parse('2016-02-25T13:00:00Z');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const record = (i: number, doc: string): FirehoseRecord => ({
  recordId: `r${i}`,
  data: text(doc),
  approximateArrivalTimestamp: ARRIVAL + i,
});
const fast = { backoff: { initialMs: 1, maxMs: 5 } };

async function run(
  server: OpenSearchBulkServer,
  records: FirehoseRecord[],
  options: Partial<OpenSearchDestinationOptions> = {},
  retryDurationMs = 10_000,
) {
  const errors = await tempDir();
  const metrics: Array<[string, number, MetricUnit]> = [];
  const destination = openSearchDestination({ endpoint: server.endpoint, indexName: 'logs', retryDurationMs, ...options });
  const results = await lastValueFrom(
    from(records).pipe(
      bufferBySizeOrTime({ maxRecords: 100, maxMs: 60_000 }),
      deliverTo<FirehoseRecord>(destination, {
        ...fast,
        errorOutput: directoryDestination({ path: errors, streamName: 'os', fsync: false }),
        metrics: (name, value, unit) => void metrics.push([name, value, unit]),
      }),
      toArray(),
    ),
  );
  return { results, failures: await readFailures(errors), metrics };
}

describe('openSearchDestination in a pipeline (deliverTo)', () => {
  it('should index what it can, retry throttled documents alone, and write the rest as Firehose’s failure records with esDocumentId, esIndexName and esTypeName', async () => {
    const server = await start({ throttledShare: 0.3, allowTypes: true });
    const records = [
      record(0, '{"n":0}'),
      record(1, 'this is not JSON'),
      record(2, '{"n":"two"}'), // a mapping conflict: n is a long
      ...Array.from({ length: 7 }, (_, k) => record(k + 3, `{"n":${k + 3}}`)),
    ];
    const log = trackSettlements(records);
    const { results, failures, metrics } = await run(server, records, { typeName: 'log' });

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'failed-to-error-output', destination: 'AmazonOpenSearchService' });
    expect(results[0]!.failed).toEqual([records[1], records[2]]);
    expect(results[0]!.attempts).toBeGreaterThan(1);
    // Every valid document once, under its Firehose id, in the day's index.
    const indexed = records.filter((_r, i) => i !== 1 && i !== 2);
    expect(
      server
        .documents()
        .map((d) => [d.index, d.id, d.version])
        .sort(),
    ).toEqual(indexed.map((r) => ['logs-2016-02-25', firehoseDocumentId(r, r.data), 1]).sort());

    const byRecord = new Map(failures.map((f) => [Buffer.from(f.record.rawData, 'base64').toString(), f]));
    const malformed = byRecord.get('this is not JSON')!;
    expect(malformed.path).toMatch(/^AmazonOpenSearchService-failed\//);
    expect(malformed.record).toMatchObject({
      attemptsMade: 1,
      arrivalTimestamp: ARRIVAL + 1,
      errorCode: 'OS.MalformedData',
      esDocumentId: firehoseDocumentId(records[1], records[1]!.data),
      esIndexName: 'logs-2016-02-25',
      esTypeName: 'log',
    });
    const conflict = byRecord.get('{"n":"two"}')!;
    expect(Object.keys(conflict.record)).toEqual([
      'attemptsMade',
      'arrivalTimestamp',
      'errorCode',
      'errorMessage',
      'attemptEndingTimestamp',
      'rawData',
      'esDocumentId',
      'esIndexName',
      'esTypeName',
    ]);
    expect(conflict.record).toMatchObject({
      errorCode: '400',
      esDocumentId: firehoseDocumentId(records[2], records[2]!.data),
      esIndexName: 'logs-2016-02-25',
      esTypeName: 'log',
    });
    expect(JSON.parse(conflict.record.errorMessage)).toMatchObject({ type: 'mapper_parsing_exception' });
    expect(failures).toHaveLength(2);

    expect(log.events.filter((e) => e.outcome === 'delivered')).toHaveLength(8);
    expect(log.events.filter((e) => e.outcome === 'failed')).toHaveLength(2);
    expect(metrics.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'DeliveryToAmazonOpenSearchService.Records',
        'DeliveryToAmazonOpenSearchService.Bytes',
        'DeliveryToAmazonOpenSearchService.Success',
        'DeliveryToAmazonOpenSearchService.DataFreshness',
      ]),
    );
  });

  it('should write documents still throttled when the retry duration runs out to the error output, with errorCode 429', async () => {
    const server = await start({
      failItem: (item) =>
        item.source === '{"n":1}' ? { status: 429, type: 'rejected_execution_exception', reason: 'queue full' } : undefined,
    });
    const records = [record(0, '{"n":0}'), record(1, '{"n":1}')];
    const { results, failures } = await run(server, records, {}, 50);
    expect(results[0]).toMatchObject({ status: 'failed-to-error-output', errorCode: '429' });
    expect(failures.map((f) => [f.record.errorCode, Buffer.from(f.record.rawData, 'base64').toString()])).toEqual([['429', '{"n":1}']]);
    expect(failures[0]!.record.attemptsMade).toBeGreaterThan(1);
    expect(server.documents().map((d) => d.source)).toEqual(['{"n":0}']);
  });

  it('should name the legacy Elasticsearch destination’s error output elasticsearch-failed, and its codes ES.*', async () => {
    const server = await start();
    const { failures, metrics } = await run(server, [record(0, '[]')], { flavour: 'Elasticsearch' });
    expect(failures.map((f) => [f.path.split('/')[0], f.record.errorCode])).toEqual([['elasticsearch-failed', 'ES.MalformedData']]);
    expect(metrics.some(([name]) => name === 'DeliveryToElasticsearch.Records')).toBe(true);
  });
});
