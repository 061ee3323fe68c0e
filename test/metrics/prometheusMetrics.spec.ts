import { describe, expect, it } from 'vitest';
import { prometheusMetrics } from '../../src/metrics/prometheusMetrics.js';
import { prometheusName } from '../../src/metrics/prometheusName.js';

describe('prometheusName: Firehose metric names in Prometheus style', () => {
  it.each([
    ['IncomingRecords', 'Count', 'firehose_incoming_records_total'],
    ['IncomingBytes', 'Bytes', 'firehose_incoming_bytes_total'],
    ['DeliveryToS3.Records', 'Count', 'firehose_delivery_to_s3_records_total'],
    ['DeliveryToS3.DataFreshness', 'Seconds', 'firehose_delivery_to_s3_data_freshness_seconds'],
    ['DeliveryToHttpEndpoint.Success', 'Count', 'firehose_delivery_to_http_endpoint_success_total'],
    ['BackupToS3.Bytes', 'Bytes', 'firehose_backup_to_s3_bytes_total'],
    ['DataReadFromKinesisStream.Records', 'Count', 'firehose_data_read_from_kinesis_stream_records_total'],
    ['KinesisMillisBehindLatest', 'Milliseconds', 'firehose_kinesis_millis_behind_latest'],
    ['ExecuteProcessing.Duration', 'Milliseconds', 'firehose_execute_processing_duration_milliseconds'],
    ['ThrottledGetRecords', 'Count', 'firehose_throttled_get_records_total'],
  ] as const)('%s (%s) → %s', (metric, unit, name) => {
    expect(prometheusName(metric, unit)).toBe(name);
  });
});

describe('prometheusMetrics', () => {
  it('should add up counters and keep the last value of gauges, per delivery stream', async () => {
    const prometheus = prometheusMetrics();
    const a = prometheus.sinkFor('a');
    const b = prometheus.sinkFor('b');
    a('DeliveryToS3.Records', 3, 'Count');
    a('DeliveryToS3.Records', 4, 'Count');
    b('DeliveryToS3.Records', 1, 'Count');
    a('DeliveryToS3.DataFreshness', 12, 'Seconds');
    a('DeliveryToS3.DataFreshness', 2.5, 'Seconds');
    const text = await prometheus.registry.metrics();
    expect(text).toContain(
      '# HELP firehose_delivery_to_s3_records_total Firehose metric DeliveryToS3.Records\n# TYPE firehose_delivery_to_s3_records_total counter',
    );
    expect(text).toContain('firehose_delivery_to_s3_records_total{delivery_stream="a"} 7');
    expect(text).toContain('firehose_delivery_to_s3_records_total{delivery_stream="b"} 1');
    expect(text).toContain('# TYPE firehose_delivery_to_s3_data_freshness_seconds gauge');
    expect(text).toContain('firehose_delivery_to_s3_data_freshness_seconds{delivery_stream="a"} 2.5');
  });
});
