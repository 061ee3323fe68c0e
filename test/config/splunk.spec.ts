/**
 * deliveryStreamFromConfig with a `SplunkDestinationConfiguration`, end to end against the HEC test server
 * on 127.0.0.1 (written from Splunk's HEC documentation; see test/support/hec/).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig, InvalidConfigurationError, type MetricUnit } from '../../src/index.js';
import { startHecTestServer, type HecTestServer } from '../support/hec/hecTestServer.js';
import { filesUnder, recordsOf, textOf, useDataDir } from './support.js';

const TOKEN = 'f00dcafe-1234-4321-8765-0123456789ab';

/** A Splunk configuration for `endpoint`, failures to bucket `failures`. */
function splunkConfig(endpoint: string, extra: Record<string, unknown> = {}): any {
  return {
    DeliveryStreamName: 'logs',
    SplunkDestinationConfiguration: {
      HECEndpoint: endpoint,
      HECEndpointType: 'Raw',
      HECToken: TOKEN,
      S3Configuration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', BucketARN: 'arn:aws:s3:::failures' },
      ...extra,
    },
  };
}

describe('deliveryStreamFromConfig: SplunkDestinationConfiguration', () => {
  const dir = useDataDir();
  let server: HecTestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  const hec = async (tokens: Record<string, object> = { [TOKEN]: {} }) => (server = await startHecTestServer({ tokens }));
  const refused = (input: unknown): InvalidConfigurationError => {
    try {
      deliveryStreamFromConfig(input as never, { dataDir: dir.path });
    } catch (err) {
      if (err instanceof InvalidConfigurationError) return err;
      throw err;
    }
    throw new Error('not refused');
  };

  it('should deliver records to HEC’s raw endpoint with the token and count them delivered once acknowledged', async () => {
    const s = await hec();
    const metrics: Array<{ name: string; value: number; unit: MetricUnit }> = [];
    const stream = deliveryStreamFromConfig(
      splunkConfig(s.endpoint, { ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] } }),
      {
        dataDir: dir.path,
        records: recordsOf(['first', 'second']),
        metrics: (name, value, unit) => metrics.push({ name, value, unit }),
      },
    );
    const results: unknown[] = [];
    stream.results.subscribe((r) => results.push(r));
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 2, errorOutputRecords: 0 });
    expect(s.collector.indexed.map((e) => [e.endpoint, e.event])).toEqual([
      ['raw', 'first'],
      ['raw', 'second'],
    ]);
    expect(s.collector.requests[0]!.headers.authorization).toBe(`Splunk ${TOKEN}`);
    expect(s.collector.requests.map((r) => r.url)).toContain('/services/collector/ack');
    expect(metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['DeliveryToSplunk.Records', 'DeliveryToSplunk.DataAckLatency']));
    expect(JSON.stringify(results)).not.toContain(TOKEN);
    expect(await filesUnder(`${dir.path}/failures`)).toEqual(new Map());
  });

  it('should send Event records as they are to the event endpoint', async () => {
    const s = await hec();
    await deliveryStreamFromConfig(splunkConfig(s.endpoint, { HECEndpointType: 'Event' }), {
      dataDir: dir.path,
      records: recordsOf(['{"event":"a","sourcetype":"st"}', '{"event":{"b":2}}']),
    }).done;
    expect(s.collector.indexed.map((e) => [e.endpoint, e.event])).toEqual([
      ['event', 'a'],
      ['event', { b: 2 }],
    ]);
  });

  it('should write splunk-failed records to the S3Configuration bucket, without the token, when HEC refuses the token', async () => {
    const s = await hec({ [TOKEN]: { disabled: true } });
    const stream = deliveryStreamFromConfig(splunkConfig(s.endpoint, { RetryOptions: { DurationInSeconds: 0 } }), {
      dataDir: dir.path,
      records: recordsOf(['lost?\n']),
    });
    const summary = await stream.done;
    expect(summary).toMatchObject({ deliveredRecords: 0, errorOutputRecords: 1 });
    const failures = await filesUnder(`${dir.path}/failures`);
    expect([...failures.keys()]).toEqual([expect.stringMatching(/^splunk-failed\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/logs-1-/)]);
    const text = textOf(failures);
    expect(JSON.parse(text)).toMatchObject({
      attemptsMade: 1,
      errorCode: 'Splunk.DisabledToken',
      rawData: Buffer.from('lost?\n').toString('base64'),
    });
    expect(text).not.toContain(TOKEN);
  });

  it('should also back up every record to the bucket with S3BackupMode AllEvents', async () => {
    const s = await hec();
    await deliveryStreamFromConfig(splunkConfig(s.endpoint, { S3BackupMode: 'AllEvents' }), {
      dataDir: dir.path,
      records: recordsOf(['a\n', 'b\n']),
    }).done;
    expect(s.collector.indexed.map((e) => e.event)).toEqual(['a', 'b']);
    expect(textOf(await filesUnder(`${dir.path}/failures`))).toBe('a\nb\n');
  });

  it.each([
    [{ HECAcknowledgmentTimeoutInSeconds: 179 }, 'SplunkDestinationConfiguration.HECAcknowledgmentTimeoutInSeconds', '180 to 600'],
    [{ HECAcknowledgmentTimeoutInSeconds: 601 }, 'SplunkDestinationConfiguration.HECAcknowledgmentTimeoutInSeconds', '180 to 600'],
    [{ RetryOptions: { DurationInSeconds: 7201 } }, 'SplunkDestinationConfiguration.RetryOptions.DurationInSeconds', '0 to 7200'],
    [{ BufferingHints: { SizeInMBs: 6, IntervalInSeconds: 60 } }, 'SplunkDestinationConfiguration.BufferingHints.SizeInMBs', '1 to 5'],
    [
      { BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 61 } },
      'SplunkDestinationConfiguration.BufferingHints.IntervalInSeconds',
      '0 to 60',
    ],
    [{ HECEndpointType: 'Json' }, 'SplunkDestinationConfiguration.HECEndpointType', 'Raw, Event'],
    [{ S3BackupMode: 'AllData' }, 'SplunkDestinationConfiguration.S3BackupMode', 'FailedEventsOnly, AllEvents'],
    [{ HECEndpoint: 'ftp://splunk' }, 'SplunkDestinationConfiguration.HECEndpoint', 'https://'],
    [
      { HECEndpoint: 'https://splunk:8088/services/collector' },
      'SplunkDestinationConfiguration.HECEndpoint',
      'without credentials, query or path',
    ],
  ])('should refuse %j naming the field and the range', (extra, field, range) => {
    const err = refused(splunkConfig('https://splunk.example.com:8088', extra));
    expect(err.field).toBe(field);
    expect(err.message).toContain(range);
  });

  it('should refuse a bad token without showing it, and Secrets Manager by name', () => {
    const err = refused(splunkConfig('https://splunk.example.com:8088', { HECToken: 'has a\nnewline' }));
    expect(err.field).toBe('SplunkDestinationConfiguration.HECToken');
    expect(err.message).not.toContain('newline');
    const secrets = refused(
      splunkConfig('https://splunk.example.com:8088', {
        SecretsManagerConfiguration: { Enabled: true, SecretARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hec' },
      }),
    );
    expect(secrets.field).toBe('SplunkDestinationConfiguration.SecretsManagerConfiguration');
    expect(secrets.message).toMatch(/is not supported yet/);
  });
});
