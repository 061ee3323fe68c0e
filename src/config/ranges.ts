import type { NumberRange } from './configNumber.js';

// Firehose's ranges and defaults (see docs/configuration.md), by where they apply.

/** S3 and extended S3 destinations: 1–128 MiB, default 5; 0–900 s, default 300. */
export const S3_BUFFERING = {
  size: { min: 1, max: 128, default: 5, unit: 'MiB' },
  interval: { min: 0, max: 900, default: 300, unit: 'seconds' },
} as const satisfies BufferingRanges;

/** An S3 destination with dynamic partitioning: no zero buffering, and at least 64 MiB. */
export const DYNAMIC_PARTITIONING_BUFFERING = {
  size: { min: 64, max: 128, default: 64, unit: 'MiB' },
  interval: { min: 60, max: 900, default: 300, unit: 'seconds' },
} as const satisfies BufferingRanges;

/** An S3 destination with record format conversion (Parquet): at least 64 MiB, default 128 MiB, as Firehose requires. */
export const FORMAT_CONVERSION_BUFFERING = {
  size: { min: 64, max: 128, default: 128, unit: 'MiB' },
  interval: { min: 0, max: 900, default: 300, unit: 'seconds' },
} as const satisfies BufferingRanges;

/** The source record backup bucket: 1–128 MiB, default 5; 60–900 s, default 300 (no zero buffering for backups). */
export const BACKUP_BUFFERING = {
  size: { min: 1, max: 128, default: 5, unit: 'MiB' },
  interval: { min: 60, max: 900, default: 300, unit: 'seconds' },
} as const satisfies BufferingRanges;

/** HTTP endpoint destinations: 1–64 MiB, default 5; 0–900 s, default 300. */
export const HTTP_ENDPOINT_BUFFERING_RANGES = {
  size: { min: 1, max: 64, default: 5, unit: 'MiB' },
  interval: { min: 0, max: 900, default: 300, unit: 'seconds' },
} as const satisfies BufferingRanges;

/** OpenSearch destinations (OpenSearch Service, Elasticsearch, OpenSearch Serverless): 1–100 MiB, default 5; 0–900 s, default 300. */
export const OPENSEARCH_BUFFERING_RANGES = {
  size: { min: 1, max: 100, default: 5, unit: 'MiB' },
  interval: { min: 0, max: 900, default: 300, unit: 'seconds' },
} as const satisfies BufferingRanges;

/** A Lambda processor's buffer: 0.2–3 MB, default 1; 0–900 s, default 60; 0–300 retries, default 3. */
export const LAMBDA_PROCESSOR = {
  size: { min: 0.2, max: 3, default: 1, integer: false, unit: 'MB' },
  interval: { min: 0, max: 900, default: 60, unit: 'seconds' },
  retries: { min: 0, max: 300, default: 3, unit: 'retries' },
} as const;

/** Retry durations of HTTP endpoints, OpenSearch and dynamic partitioning: 0–7200 s, default 300. */
export const RETRY_DURATION = { min: 0, max: 7200, default: 300, unit: 'seconds' } as const satisfies NumberRange;

/** `DirectPutSourceConfiguration.ThroughputHintInMBs`: 1–100 MB/s (information only). */
export const THROUGHPUT_HINT = { min: 1, max: 100, default: 1, unit: 'MB/s' } as const satisfies NumberRange;

export interface BufferingRanges {
  readonly size: NumberRange;
  readonly interval: NumberRange;
}

/** 1 MiB. Firehose's `SizeInMBs` counts MiB; a Lambda processor's `BufferSizeInMBs` is taken as MiB too. */
export const MIB = 1_048_576;
