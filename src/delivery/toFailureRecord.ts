import { Buffer } from 'node:buffer';
import type { FailureRecord } from '../destinations/Destination.js';
import type { FinalFailure } from '../retry/retryBatch.js';
import { arrivalTimeOf } from '../records/arrivalTimeOf.js';
import { dataOf } from '../records/dataOf.js';

/**
 * Firehose's failure record for a record that finally failed: `attemptsMade`, `arrivalTimestamp`,
 * `errorCode`, `errorMessage`, `attemptEndingTimestamp`, `rawData` (the original bytes, base64), then the
 * destination-specific fields. The one writer of failure records, for every destination and stage.
 */
export function toFailureRecord(
  record: unknown,
  failure: FinalFailure,
  fallbackArrivalMs: number,
  extraFields?: Readonly<Record<string, unknown>>,
): FailureRecord {
  const data = dataOf(record);
  return {
    attemptsMade: failure.attemptsMade,
    arrivalTimestamp: arrivalTimeOf(record, fallbackArrivalMs),
    errorCode: failure.errorCode,
    errorMessage: failure.errorMessage,
    attemptEndingTimestamp: failure.attemptEndingTimestamp,
    rawData: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    ...extraFields,
  };
}
