// A Firehose data-transformation blueprint for CloudWatch Logs subscriptions: self-contained (only type
// imports), so this file, compiled, is a Lambda function as it is. Handler: `cloudWatchLogsToMessages`
// (or one made by `cloudWatchLogsProcessor`).
import { Buffer } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { BlueprintEvent, BlueprintResult } from './BlueprintTypes.js';

/** Options of {@link cloudWatchLogsProcessor}. */
export interface CloudWatchLogsProcessorOptions {
  /** The most bytes the response may take. Default 6,000,000: Lambda's 6 MB limit on a synchronous response. */
  maxResponseBytes?: number | undefined;
  /**
   * The most bytes of messages one re-ingested record carries. Default 1,000,000: each stays under a Firehose
   * record's 1,000 KiB once processed.
   */
  maxReingestedBytes?: number | undefined;
  /**
   * Puts records back into the stream (on AWS: `PutRecordBatch` to the delivery stream, or `PutRecords` to
   * its source Kinesis stream; here: a direct PUT stream's `putRecordBatch`). Each is a gzipped subscription
   * payload with part of a record's log events, so it is processed again by this function. Without it, a
   * record that does not fit in the response is `ProcessingFailed` (and reaches the error output whole).
   */
  reingest?: ((records: Uint8Array[]) => Promise<void>) | undefined;
}

interface LogEvent {
  id: string;
  timestamp: number;
  message: string;
}
interface Subscription {
  messageType: string;
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: LogEvent[];
}

/** Bytes a result record adds to the JSON response besides its base64 data. */
const RECORD_OVERHEAD_BYTES = 64;

/**
 * A CloudWatch Logs subscription processor: each record (a gzipped subscription payload, as CloudWatch
 * Logs sends it to Firehose) becomes its log events' messages, one per line. `CONTROL_MESSAGE` records are
 * `Dropped`; a record that is not gzip, not a subscription payload or of another message type is
 * `ProcessingFailed`.
 *
 * When the records' results would make the response larger than `maxResponseBytes`, the records that do
 * not fit are split into smaller subscription payloads (at most `maxReingestedBytes` of messages each),
 * handed to `reingest` and `Dropped` from this response, as AWS's blueprint re-ingests them; without
 * `reingest` they are `ProcessingFailed` instead, so nothing is lost.
 *
 * ## Example
 * ```ts
 * import { cloudWatchLogsProcessor } from 'rx-firehose/blueprints';
 * import { transformWithLambda } from 'rx-firehose/operators';
 *
 * const handler = cloudWatchLogsProcessor({ maxResponseBytes: 6_000_000 });
 * subscriptionRecords$.pipe(transformWithLambda(handler));
 * ```
 */
export function cloudWatchLogsProcessor(options: CloudWatchLogsProcessorOptions = {}): (event: BlueprintEvent) => Promise<BlueprintResult> {
  const maxResponseBytes = options.maxResponseBytes ?? 6_000_000;
  const maxReingestedBytes = options.maxReingestedBytes ?? 1_000_000;
  return async (event) => {
    let responseBytes = 16; // {"records":[]}
    const overflow: Subscription[] = [];
    const records = event.records.map(({ recordId, data }): BlueprintResult['records'][number] => {
      let payload: Subscription;
      try {
        payload = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as Subscription;
      } catch {
        return { recordId, result: 'ProcessingFailed', data };
      }
      if (payload?.messageType === 'CONTROL_MESSAGE') return { recordId, result: 'Dropped', data: '' };
      if (payload?.messageType !== 'DATA_MESSAGE' || !Array.isArray(payload.logEvents))
        return { recordId, result: 'ProcessingFailed', data };
      const out = Buffer.from(payload.logEvents.map((e) => `${e.message}\n`).join(''), 'utf8').toString('base64');
      const bytes = out.length + recordId.length + RECORD_OVERHEAD_BYTES;
      if (responseBytes + bytes <= maxResponseBytes) {
        responseBytes += bytes;
        return { recordId, result: 'Ok', data: out };
      }
      responseBytes += data.length + recordId.length + RECORD_OVERHEAD_BYTES;
      if (options.reingest === undefined) return { recordId, result: 'ProcessingFailed', data };
      overflow.push(payload);
      return { recordId, result: 'Dropped', data: '' };
    });
    if (overflow.length > 0) await options.reingest!(overflow.flatMap((payload) => split(payload, maxReingestedBytes)));
    return { records };
  };
}

/** The payload as gzipped subscription payloads of consecutive log events, each with at most `maxBytes` of messages (an event larger than that alone). */
function split(payload: Subscription, maxBytes: number): Uint8Array[] {
  const parts: LogEvent[][] = [];
  let part: LogEvent[] = [];
  let bytes = 0;
  for (const e of payload.logEvents) {
    const size = Buffer.byteLength(e.message, 'utf8') + 1;
    if (part.length > 0 && bytes + size > maxBytes) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(e);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts.map((logEvents) => gzipSync(JSON.stringify({ ...payload, logEvents })));
}

/**
 * The CloudWatch Logs subscription processor with its defaults and no re-ingestion: messages out, control
 * messages dropped, what does not fit in a 6 MB response `ProcessingFailed`. See {@link cloudWatchLogsProcessor}.
 */
export const cloudWatchLogsToMessages: (event: BlueprintEvent) => Promise<BlueprintResult> = cloudWatchLogsProcessor();
