import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig, firehoseDocumentId, type FirehoseRecord } from '../../src/index.js';
import { describeDomainTestDouble } from '../support/describeDomainTestDouble.js';
import { readFailureFiles } from '../support/readFailureRecords.js';
import { testResources } from '../destinations/opensearch/support.js';
import { filesUnder, refused, textOf, useDataDir } from './support.js';

const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const ARRIVAL = Date.parse('2016-02-25T13:00:00Z');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const recordsOf = (docs: readonly string[]): FirehoseRecord[] =>
  docs.map((doc, i) => ({ recordId: `r${i}`, data: text(doc), approximateArrivalTimestamp: ARRIVAL + i }));

/** A configuration of `field` for the test server at `endpoint`, failures to bucket `failures`. */
function openSearchConfig(field: string, extra: Record<string, unknown>): any {
  return {
    DeliveryStreamName: 'logs-stream',
    [field]: { RoleARN: ROLE, IndexName: 'logs', S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::failures' }, ...extra },
  };
}

describe('deliveryStreamFromConfig: OpenSearch destinations', () => {
  const dir = useDataDir();
  const { start } = testResources();

  it('should index an AmazonopensearchserviceDestinationConfiguration’s records into the rotated index, and write the rest to AmazonOpenSearchService-failed', async () => {
    const server = await start();
    const records = recordsOf(['{"n":1}', 'not JSON', '{"n":"x"}', '{"n":2}']);
    const metrics: string[] = [];
    const stream = deliveryStreamFromConfig(
      openSearchConfig('AmazonopensearchserviceDestinationConfiguration', {
        ClusterEndpoint: server.endpoint,
        IndexRotationPeriod: 'OneHour',
        RetryOptions: { DurationInSeconds: 0 },
      }),
      { dataDir: dir.path, records: from(records), metrics: (name) => void metrics.push(name) },
    );
    expect(stream.description).toContain(`AmazonOpenSearchService ${server.endpoint} index logs (OneHour)`);
    const summary = await stream.done;
    expect(summary).toMatchObject({ incomingRecords: 4, deliveredRecords: 2, errorOutputRecords: 2 });
    expect(server.documents().map((d) => [d.index, d.id, d.source])).toEqual(
      [records[0]!, records[3]!].map((r) => ['logs-2016-02-25-13', firehoseDocumentId(r, r.data), Buffer.from(r.data).toString()]),
    );
    const failures = await readFailureFiles(`${dir.path}/failures`);
    expect(failures.map((f) => f.path.split('/')[0])).toEqual(['AmazonOpenSearchService-failed', 'AmazonOpenSearchService-failed']);
    expect(failures.map((f) => [f.record.errorCode, f.record.esIndexName]).sort()).toEqual([
      ['400', 'logs-2016-02-25-13'],
      ['OS.MalformedData', 'logs-2016-02-25-13'],
    ]);
    expect(metrics).toContain('DeliveryToAmazonOpenSearchService.Records');
  });

  it('should map the legacy ElasticsearchDestinationConfiguration with its TypeName and DocumentIdOptions, failures to elasticsearch-failed', async () => {
    const server = await start({ allowTypes: true });
    const stream = deliveryStreamFromConfig(
      openSearchConfig('ElasticsearchDestinationConfiguration', {
        ClusterEndpoint: server.endpoint,
        TypeName: 'log',
        IndexRotationPeriod: 'NoRotation',
        DocumentIdOptions: { DefaultDocumentIdFormat: 'NO_DOCUMENT_ID' },
        RetryOptions: { DurationInSeconds: 0 },
      }),
      { dataDir: dir.path, records: from(recordsOf(['{"a":1}', '[]'])) },
    );
    expect(await stream.done).toMatchObject({ deliveredRecords: 1, errorOutputRecords: 1 });
    expect(server.documents().map((d) => d.index)).toEqual(['logs']);
    expect(server.documents()[0]!.id).not.toMatch(/^\d{56}\.0$/);
    const [failure] = await readFailureFiles(`${dir.path}/failures`);
    expect(failure!.path).toMatch(/^elasticsearch-failed\//);
    expect(failure!.record).toMatchObject({ errorCode: 'ES.MalformedData', esTypeName: 'log' });
  });

  it('should sign an AmazonOpenSearchServerlessDestinationConfiguration’s requests for aoss, without rotation', async () => {
    const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
    const server = await start({ auth: { sigv4: { ...credentials, region: 'eu-west-1', service: 'aoss' } } });
    const stream = deliveryStreamFromConfig(
      openSearchConfig('AmazonOpenSearchServerlessDestinationConfiguration', { CollectionEndpoint: server.endpoint }),
      {
        dataDir: dir.path,
        records: from(recordsOf(['{"a":1}', '{"a":2}'])),
        openSearchAuth: { type: 'sigv4', region: 'eu-west-1', credentials },
      },
    );
    expect(await stream.done).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 0 });
    expect(server.documents().map((d) => d.index)).toEqual(['logs', 'logs']);
    expect(server.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('should back every source record up to the S3Configuration bucket with S3BackupMode AllDocuments', async () => {
    const server = await start();
    const stream = deliveryStreamFromConfig(
      openSearchConfig('AmazonopensearchserviceDestinationConfiguration', {
        ClusterEndpoint: server.endpoint,
        S3BackupMode: 'AllDocuments',
        S3Configuration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::backup', Prefix: 'all/' },
      }),
      { dataDir: dir.path, records: from(recordsOf(['{"a":1}', '{"a":2}'])) },
    );
    expect(await stream.done).toMatchObject({ deliveredRecords: 2, backupRecords: 2 });
    expect(textOf(await filesUnder(`${dir.path}/backup/all`))).toBe('{"a":1}{"a":2}');
    expect(server.documents()).toHaveLength(2);
  });

  it('should resolve a DomainARN with DescribeDomain and send to https:// and its endpoint', async () => {
    const server = await start();
    const describe = describeDomainTestDouble({ logs: { Endpoint: new URL(server.endpoint).host } });
    const stream = deliveryStreamFromConfig(
      openSearchConfig('AmazonopensearchserviceDestinationConfiguration', {
        DomainARN: 'arn:aws:es:us-east-1:123456789012:domain/logs',
        RetryOptions: { DurationInSeconds: 0 },
      }),
      { dataDir: dir.path, records: from(recordsOf(['{"a":1}'])), openSearchClient: describe, openSearchAuth: 'none' },
    );
    // The test server speaks http: the https:// request Firehose makes to a domain cannot succeed against it.
    expect(await stream.done).toMatchObject({ deliveredRecords: 0, errorOutputRecords: 1 });
    expect(describe.calls).toEqual(['logs']);
    const [failure] = await readFailureFiles(`${dir.path}/failures`);
    expect(failure!.record.errorCode).toMatch(/^OS\.(SSLHandshakeFailure|ConnectionReset|MalformedResponse)$/);
  });

  it.each([
    [
      { ClusterEndpoint: 'http://127.0.0.1:9200', BufferingHints: { SizeInMBs: 101, IntervalInSeconds: 60 } },
      'AmazonopensearchserviceDestinationConfiguration.BufferingHints.SizeInMBs',
    ],
    [
      { ClusterEndpoint: 'http://127.0.0.1:9200', BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 901 } },
      'AmazonopensearchserviceDestinationConfiguration.BufferingHints.IntervalInSeconds',
    ],
    [
      { ClusterEndpoint: 'http://127.0.0.1:9200', RetryOptions: { DurationInSeconds: 7201 } },
      'AmazonopensearchserviceDestinationConfiguration.RetryOptions.DurationInSeconds',
    ],
    [
      { ClusterEndpoint: 'http://127.0.0.1:9200', IndexRotationPeriod: 'OneYear' },
      'AmazonopensearchserviceDestinationConfiguration.IndexRotationPeriod',
    ],
    [
      { ClusterEndpoint: 'http://127.0.0.1:9200', S3BackupMode: 'FailedDataOnly' },
      'AmazonopensearchserviceDestinationConfiguration.S3BackupMode',
    ],
    [
      { ClusterEndpoint: 'http://127.0.0.1:9200', DocumentIdOptions: { DefaultDocumentIdFormat: 'UUID' } },
      'AmazonopensearchserviceDestinationConfiguration.DocumentIdOptions.DefaultDocumentIdFormat',
    ],
    [{ ClusterEndpoint: 'http://127.0.0.1:9200', IndexName: 'Logs' }, 'AmazonopensearchserviceDestinationConfiguration.IndexName'],
    [{ ClusterEndpoint: 'http://127.0.0.1:9200', IndexName: 'x'.repeat(81) }, 'AmazonopensearchserviceDestinationConfiguration.IndexName'],
    [{ ClusterEndpoint: 'http://127.0.0.1:9200', TypeName: 'x'.repeat(101) }, 'AmazonopensearchserviceDestinationConfiguration.TypeName'],
    [{}, 'AmazonopensearchserviceDestinationConfiguration.DomainARN'],
    [
      { ClusterEndpoint: 'http://127.0.0.1:9200', DomainARN: 'arn:aws:es:us-east-1:123456789012:domain/logs' },
      'AmazonopensearchserviceDestinationConfiguration.DomainARN',
    ],
    [{ DomainARN: 'arn:aws:s3:::nope' }, 'AmazonopensearchserviceDestinationConfiguration.DomainARN'],
    [{ ClusterEndpoint: 'ftp://host' }, 'AmazonopensearchserviceDestinationConfiguration.ClusterEndpoint'],
    [{ ClusterEndpoint: 'http://127.0.0.1:9200', Bogus: 1 }, 'AmazonopensearchserviceDestinationConfiguration.Bogus'],
  ])('should refuse %j, naming %s', (extra, field) => {
    expect(refused(openSearchConfig('AmazonopensearchserviceDestinationConfiguration', extra)).field).toBe(field);
  });

  it('should refuse fields Serverless does not have, and a Serverless configuration without CollectionEndpoint', () => {
    expect(
      refused(
        openSearchConfig('AmazonOpenSearchServerlessDestinationConfiguration', {
          CollectionEndpoint: 'https://x.us-east-1.aoss.amazonaws.com',
          TypeName: 't',
        }),
      ).field,
    ).toBe('AmazonOpenSearchServerlessDestinationConfiguration.TypeName');
    expect(refused(openSearchConfig('AmazonOpenSearchServerlessDestinationConfiguration', {})).field).toBe(
      'AmazonOpenSearchServerlessDestinationConfiguration.CollectionEndpoint',
    );
  });
});
