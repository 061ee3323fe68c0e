/** Where a record came from when its source is a Kinesis Data Stream (Firehose's `kinesisRecordMetadata`). */
export interface KinesisRecordMetadata {
  readonly shardId: string;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly subsequenceNumber: number;
  readonly approximateArrivalTimestamp: number;
}

/**
 * One record as Firehose sees it: opaque bytes with an id and an arrival time.
 *
 * Sources create them (with {@link toRecords} for any Observable), operators pass them on, destinations
 * deliver their `data`. A record from a replayable source also carries a settlement handle in a side table
 * (see `settleRecord`), which is invisible to equality in marble tests.
 */
export interface FirehoseRecord {
  /** Unique within a pipeline; stays the same through a Lambda transformation. */
  readonly recordId: string;
  /** The payload. Delivered as is: records are concatenated with no delimiter unless one was appended. */
  readonly data: Uint8Array;
  /** When the record entered the pipeline, in epoch ms (from the scheduler's clock). */
  readonly approximateArrivalTimestamp: number;
  readonly kinesisRecordMetadata?: KinesisRecordMetadata | undefined;
  /** Dynamic-partitioning keys, e.g. from a Lambda's `metadata.partitionKeys`. */
  readonly partitionKeys?: Readonly<Record<string, string>> | undefined;
  /** Dynamic-partitioning keys from the inline JQ query (`MetadataExtraction`), for `!{partitionKeyFromQuery:k}`. */
  readonly queryPartitionKeys?: Readonly<Record<string, string>> | undefined;
}
