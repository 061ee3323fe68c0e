/** Firehose's limits and answers for direct PUT (PutRecord, PutRecordBatch), as the service applies them. */

/** The largest record, before base64: 1,000 KiB. */
export const MAX_RECORD_BYTES = 1_024_000;
/** The most records in one PutRecordBatch. */
export const MAX_BATCH_RECORDS = 500;
/** The most record bytes (before base64) in one PutRecordBatch: 4 MiB. */
export const MAX_BATCH_BYTES = 4 * 1_048_576;
/** The message Firehose answers a throttled put with. */
export const SLOW_DOWN = 'Slow down.';
