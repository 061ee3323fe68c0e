import { concatMap, defer, EMPTY, finalize, from, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { errorAfterDrain } from '../rx/errorAfterDrain.js';
import type { ErrorOutput } from '../destinations/Destination.js';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { writeProcessingFailures } from './writeProcessingFailures.js';
import { carrySettlement } from '../settlement/carrySettlement.js';

/** What a processor made of one record: the data of the records that replace it (none, one or several), or why it failed. */
export type RecordOutcome =
  | { readonly ok: true; readonly data: readonly Uint8Array[] }
  | { readonly ok: false; readonly errorOutputType: string; readonly errorCode: string; readonly errorMessage: string };

/** Who runs {@link processEachRecord}, and where its failures go. */
export interface ProcessEachRecordOptions {
  /** The processor, in failure records' messages (`stage`), e.g. `Decompression`. */
  readonly stage: string;
  readonly errorOutput: ErrorOutput | undefined;
  readonly scheduler: SchedulerLike;
}

/**
 * The engine of the record-by-record processors (de-aggregation, decompression, CloudWatch Logs message
 * extraction): each record becomes the records `process` returns, in order, or a failure record.
 *
 * - Derived records keep the original's arrival time, Kinesis metadata and partition keys. One derived
 *   record keeps the original's `recordId`; several get `<recordId>-<index>`.
 * - Settlement: derived records carry parts of the original's settlement, so the original settles only when
 *   every derived record did (`carrySettlement`); a record that becomes no records settles as `dropped`.
 * - A failed record is written to the error output as a Firehose failure record of `errorOutputType` (its
 *   original bytes in `rawData`) and settles as `failed` once written; records after it wait, so order
 *   holds. Without an error output the stream errors with `UndeliverableRecordsError`.
 * - A source error is passed on after the failure records already due are written. A `process` that throws
 *   errors the stream (a bug, not a bad record).
 */
export function processEachRecord(
  options: ProcessEachRecordOptions,
  process: (record: FirehoseRecord) => RecordOutcome,
): OperatorFunction<FirehoseRecord, FirehoseRecord> {
  const { stage, errorOutput, scheduler } = options;
  return (source) =>
    defer(() => {
      const abort = new AbortController();
      return source.pipe(
        errorAfterDrain((records) =>
          records.pipe(
            concatMap((record) => {
              const outcome = process(record);
              if (outcome.ok) {
                const derived = outcome.data.map((data, i) =>
                  derive(record, data, outcome.data.length === 1 ? record.recordId : `${record.recordId}-${i}`),
                );
                carrySettlement(record, derived);
                return derived.length === 0 ? EMPTY : from(derived);
              }
              return writeProcessingFailures(
                {
                  stage,
                  errorOutputType: outcome.errorOutputType,
                  batchId: `${stage}/${record.recordId}/${outcome.errorOutputType}`,
                  records: [record],
                  reasons: [outcome],
                  errorOutput,
                  scheduler,
                },
                abort.signal,
              );
            }),
          ),
        ),
        finalize(() => abort.abort()),
      );
    });
}

function derive(record: FirehoseRecord, data: Uint8Array, recordId: string): FirehoseRecord {
  return {
    recordId,
    data,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp,
    ...(record.kinesisRecordMetadata === undefined ? {} : { kinesisRecordMetadata: record.kinesisRecordMetadata }),
    ...(record.partitionKeys === undefined ? {} : { partitionKeys: record.partitionKeys }),
    ...(record.queryPartitionKeys === undefined ? {} : { queryPartitionKeys: record.queryPartitionKeys }),
  };
}
