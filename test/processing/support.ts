import { Buffer } from 'node:buffer';
import { gzipSync } from 'node:zlib';
import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { CloudWatchLogsDecodedData } from 'aws-lambda';
import type { FailureRecord, FirehoseRecord } from '../../src/index.js';
import type { MemoryDestination } from '../../src/testing/index.js';

/** A record with `text` (UTF-8) or bytes as its data. */
export function rec(recordId: string, data: string | Uint8Array, approximateArrivalTimestamp = 0): FirehoseRecord {
  return { recordId, data: typeof data === 'string' ? Buffer.from(data) : data, approximateArrivalTimestamp };
}

/** The records' data as text. */
export function texts(records: readonly FirehoseRecord[]): string[] {
  return records.map((r) => Buffer.from(r.data).toString('utf8'));
}

/** Every failure record written to `out`, with its error output type. */
export function failuresIn(out: MemoryDestination<unknown>): Array<FailureRecord & { type: string }> {
  return out.failureWrites.flatMap((w) => w.failures.map((f) => ({ ...f, type: w.errorOutputType })));
}

/**
 * A subscription record as CloudWatch Logs sends it to Firehose: the events a FilterLogEvents call would
 * return, in the subscription payload (the shape `aws-lambda` types as CloudWatchLogsDecodedData), gzipped.
 */
export function subscriptionRecord(
  recordId: string,
  events: readonly FilteredLogEvent[],
  messageType: 'DATA_MESSAGE' | 'CONTROL_MESSAGE' = 'DATA_MESSAGE',
): FirehoseRecord {
  const payload: CloudWatchLogsDecodedData = {
    messageType,
    owner: messageType === 'CONTROL_MESSAGE' ? 'CloudwatchLogs' : '123456789012',
    logGroup: messageType === 'CONTROL_MESSAGE' ? '' : '/aws/lambda/checkout',
    logStream: messageType === 'CONTROL_MESSAGE' ? '' : '2026/12/02/[$LATEST]0123456789abcdef',
    subscriptionFilters: messageType === 'CONTROL_MESSAGE' ? [] : ['to-firehose'],
    logEvents: events.map((e) => ({ id: e.eventId!, timestamp: e.timestamp!, message: e.message! })),
  };
  return rec(recordId, gzipSync(JSON.stringify(payload)), 1_764_633_600_000);
}
