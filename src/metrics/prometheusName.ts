import type { MetricUnit } from './MetricSink.js';

/**
 * The Prometheus name of a Firehose metric: `firehose_` + the name in snake case (dots become `_`), then
 * `_total` for counters (units `Count` and `Bytes`), `_seconds` for `Seconds` and `_milliseconds` for
 * `Milliseconds` gauges (unless the name already says millis).
 *
 * | Firehose (CloudWatch) | Prometheus |
 * |---|---|
 * | `IncomingRecords` (Count) | `firehose_incoming_records_total` (counter) |
 * | `DeliveryToS3.Bytes` (Bytes) | `firehose_delivery_to_s3_bytes_total` (counter) |
 * | `DeliveryToS3.DataFreshness` (Seconds) | `firehose_delivery_to_s3_data_freshness_seconds` (gauge) |
 * | `KinesisMillisBehindLatest` (Milliseconds) | `firehose_kinesis_millis_behind_latest` (gauge) |
 *
 * ## Example
 * ```ts
 * prometheusName('DeliveryToHttpEndpoint.Records', 'Count'); // 'firehose_delivery_to_http_endpoint_records_total'
 * ```
 */
export function prometheusName(metric: string, unit: MetricUnit): string {
  const snake = metric
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .replace(/[^a-zA-Z0-9]+/g, '_')
    .toLowerCase();
  const base = `firehose_${snake}`;
  if (unit === 'Count' || unit === 'Bytes') return `${base}_total`;
  if (unit === 'Seconds') return `${base}_seconds`;
  return base.includes('millis') ? base : `${base}_milliseconds`;
}
