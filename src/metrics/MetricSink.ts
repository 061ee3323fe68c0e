/** Units as CloudWatch names them. */
export type MetricUnit = 'Count' | 'Bytes' | 'Seconds' | 'Milliseconds';

/**
 * Receives metrics named as in Firehose's CloudWatch namespace `AWS/Firehose`, for example
 * `DeliveryToS3.Records`, `DeliveryToS3.Bytes`, `DeliveryToS3.Success` (1 or 0 per batch),
 * `DeliveryToS3.DataFreshness` (seconds), `BackupToS3.Records`.
 *
 * ## Example
 * ```ts
 * import { deliverTo } from 'rx-firehose/operators';
 * deliverTo(destination, { metrics: (name, value, unit) => statsd.gauge(name, value) });
 * ```
 */
export type MetricSink = (name: string, value: number, unit: MetricUnit) => void;
