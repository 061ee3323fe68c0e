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
  const data = rawBytesOf(record);
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

/** The record's bytes, or, for a malformed record without any, its JSON (so the failure record still shows what it was). */
function rawBytesOf(record: unknown): Uint8Array {
  try {
    return dataOf(record);
  } catch {
    let text: string;
    try {
      text = JSON.stringify(record) ?? String(record);
    } catch {
      text = String(record);
    }
    return Buffer.from(text, 'utf8');
  }
}
