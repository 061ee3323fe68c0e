import { Buffer } from 'node:buffer';
import { from, Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deliveryStreamFromConfig, InvalidConfigurationError, type FirehoseRecord } from '../../src/index.js';
import { subscriptionRecord } from '../processing/support.js';
import { filesUnder, recordsOf, s3Config, textOf, useDataDir } from './support.js';

const parameters = (list: Record<string, string>) =>
  Object.entries(list).map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue }));

/** Failure records in the files under `root`, one JSON line each. */
function failureLines(files: Map<string, Buffer>): Array<{ errorCode: string; rawData: string }> {
  return textOf(files)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { errorCode: string; rawData: string });
}

describe('deliveryStreamFromConfig: Decompression, CloudWatchLogProcessing, RecordDeAggregation, MetadataExtraction', () => {
  const dir = useDataDir();

  it('should deliver the messages of CloudWatch Logs subscription records, one per line, and undecompressable records under decompression-failed/', async () => {
    const config = s3Config({
      Prefix: 'logs/',
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      ProcessingConfiguration: {
        Enabled: true,
        // Listed out of order on purpose: Firehose's order applies.
        Processors: [
          { Type: 'AppendDelimiterToRecord' },
          { Type: 'CloudWatchLogProcessing', Parameters: parameters({ DataMessageExtraction: 'true' }) },
          { Type: 'Decompression', Parameters: parameters({ CompressionFormat: 'GZIP' }) },
        ],
      },
    });
    const event = (n: number, message: string) => ({ eventId: String(n), timestamp: 1_764_633_600_000 + n, message });
    const records = [
      subscriptionRecord('a', [event(1, 'GET /cart 200'), event(2, 'GET /pay 500')]),
      subscriptionRecord('c', [], 'CONTROL_MESSAGE'),
      { recordId: 'plain', data: Buffer.from('not gzip'), approximateArrivalTimestamp: 1_764_633_600_000 },
      subscriptionRecord('b', [event(3, 'POST /order 201')]),
    ];
    const summary = await deliveryStreamFromConfig(config, { dataDir: dir.path, records: from(records) }).done;
    expect(textOf(await filesUnder(`${dir.path}/lake/logs`))).toBe('GET /cart 200\nGET /pay 500\nPOST /order 201\n');
    const failed = failureLines(await filesUnder(`${dir.path}/lake/errors/decompression-failed`));
    expect(failed.map((f) => [f.errorCode, Buffer.from(f.rawData, 'base64').toString()])).toEqual([['Decompression.Failed', 'not gzip']]);
    expect(summary).toMatchObject({ incomingRecords: 4, deliveredRecords: 3, errorOutputRecords: 1 });
  });

  it('should partition by the keys of a JQ query, one object per partition, and send records without keys to the error output', async () => {
    const config = s3Config({
      Prefix: 'customer_id=!{partitionKeyFromQuery:customer_id}/device=!{partitionKeyFromQuery:device}/',
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      DynamicPartitioningConfiguration: { Enabled: true },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'MetadataExtraction',
            Parameters: parameters({
              MetadataExtractionQuery: '{customer_id: .customer_id, device: .type.device}',
              JsonParsingEngine: 'JQ-1.6',
            }),
          },
          { Type: 'RecordDeAggregation', Parameters: parameters({ SubRecordType: 'JSON' }) },
          { Type: 'AppendDelimiterToRecord' },
        ],
      },
    });
    const lines = [
      '{"customer_id":"7","type":{"device":"mobile"}}{"customer_id":"8","type":{"device":"desktop"}}',
      '{"customer_id":7,"type":{"device":"mobile"}}',
      'not json',
      '{"customer_id":"../../etc","type":{"device":"x"}}',
    ];
    const summary = await deliveryStreamFromConfig(config, { dataDir: dir.path, records: recordsOf(lines) }).done;
    const files = await filesUnder(`${dir.path}/lake`);
    const delivered = [...files.keys()].filter((k) => !k.startsWith('errors/')).map((k) => k.split('/').slice(0, 2).join('/'));
    expect(delivered).toEqual(['customer_id=7/device=mobile', 'customer_id=8/device=desktop']); // one object each
    expect(textOf(new Map([...files].filter(([k]) => k.startsWith('customer_id=7/'))))).toBe(
      '{"customer_id":"7","type":{"device":"mobile"}}\n{"customer_id":7,"type":{"device":"mobile"}}\n',
    );
    const errors = [...files.keys()].filter((k) => k.startsWith('errors/')).map((k) => k.split('/')[1]);
    expect(errors.sort()).toEqual(['Directory-failed', 'processing-failed']);
    const escaped = failureLines(new Map([...files].filter(([k]) => k.startsWith('errors/Directory-failed/'))));
    expect(escaped.map((f) => f.errorCode)).toEqual(['DynamicPartitioning.PartitionKeyError']);
    expect(summary).toMatchObject({ deliveredRecords: 3, errorOutputRecords: 2 });
  });

  it('should refuse a JQ query that does not compile while the stream loads, naming the field and quoting jq, before reading a record', async () => {
    const query = '{customer_id: .customer_id';
    const config = s3Config({
      Prefix: 'customer_id=!{partitionKeyFromQuery:customer_id}/',
      ErrorOutputPrefix: 'errors/',
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      DynamicPartitioningConfiguration: { Enabled: true },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          { Type: 'MetadataExtraction', Parameters: parameters({ MetadataExtractionQuery: query, JsonParsingEngine: 'JQ-1.6' }) },
        ],
      },
    });
    let subscribed = false;
    const records = new Observable<FirehoseRecord>(() => {
      subscribed = true;
    });
    const stream = deliveryStreamFromConfig(config, { dataDir: dir.path, records });
    const field = 'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue';
    const refusal = await stream.loaded.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(InvalidConfigurationError);
    expect(refusal).toMatchObject({ field });
    expect((refusal as Error).message).toMatch(
      /^ExtendedS3DestinationConfiguration\.ProcessingConfiguration\.Processors\[0\]\.Parameters\[0\]\.ParameterValue must be a jq filter that compiles \(jq: error: syntax error, unexpected end of file.*\); got "\{customer_id: \.customer_id"$/,
    );
    const summary = await stream.done; // ends with the same error, having read nothing
    expect(summary.error).toBe(refusal);
    expect(summary.incomingRecords).toBe(0);
    expect(subscribed).toBe(false);
    expect(await filesUnder(dir.path)).toEqual(new Map());
  });

  it('should de-aggregate DELIMITED records by the base64 Delimiter, and refuse what Firehose refuses', async () => {
    const config = s3Config({
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          { Type: 'RecordDeAggregation', Parameters: parameters({ SubRecordType: 'DELIMITED', Delimiter: 'IyMjIw==' }) },
          { Type: 'AppendDelimiterToRecord' },
        ],
      },
    });
    await deliveryStreamFromConfig(config, { dataDir: dir.path, records: recordsOf(['a####b####', 'c']) }).done;
    expect(textOf(await filesUnder(`${dir.path}/lake`))).toBe('a\nb\nc\n');

    const refuse =
      (processors: unknown[], extra: Record<string, unknown> = {}) =>
      () =>
        deliveryStreamFromConfig(s3Config({ ...extra, ProcessingConfiguration: { Enabled: true, Processors: processors } }), {
          dataDir: dir.path,
        });
    expect(refuse([{ Type: 'RecordDeAggregation', Parameters: parameters({ SubRecordType: 'DELIMITED', Delimiter: '####' }) }])).toThrow(
      /Parameters\[1\]\.ParameterValue must be the delimiter in base64/,
    );
    expect(refuse([{ Type: 'CloudWatchLogProcessing', Parameters: parameters({ DataMessageExtraction: 'true' }) }])).toThrow(
      /must be used with a Decompression processor/,
    );
    expect(refuse([{ Type: 'Decompression', Parameters: parameters({ CompressionFormat: 'ZIP' }) }])).toThrow(
      /Processors\[0\]\.Parameters\[0\]\.ParameterValue/,
    );
    expect(
      refuse([{ Type: 'MetadataExtraction', Parameters: parameters({ MetadataExtractionQuery: '{a:.a}', JsonParsingEngine: 'JQ-1.6' }) }]),
    ).toThrow(/DynamicPartitioningConfiguration\.Enabled must be true when a MetadataExtraction processor runs/);
    expect(refuse([{ Type: 'Decompression', Parameters: parameters({ SubRecordType: 'JSON' }) }])).toThrow(
      /must be a parameter of Decompression/,
    );
  });
});
