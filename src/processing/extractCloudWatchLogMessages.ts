import type { OperatorFunction } from 'rxjs';
import type { FirehoseRecord } from '../records/FirehoseRecord.js';
import { checkProcessorOptions, type ProcessorOptions } from './checkProcessorOptions.js';
import { processEachRecord, type RecordOutcome } from './processEachRecord.js';

const NAME = 'extractCloudWatchLogMessages';
const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Options of {@link extractCloudWatchLogMessages}. */
export type ExtractCloudWatchLogMessagesOptions = ProcessorOptions;

/**
 * Turns CloudWatch Logs subscription records (already decompressed) into their log events' messages:
 * Firehose's `CloudWatchLogProcessing` processor with `DataMessageExtraction` on.
 *
 * <span class="informal">One subscription record in, one record per log event out, metadata (owner, log group, stream) left behind.</span>
 *
 * ```
 * source:  -d-------c---x-|     d = DATA_MESSAGE with events m1, m2; c = CONTROL_MESSAGE; x = not a subscription record
 * result:  -(12)----------F|    1 = m1, 2 = m2 (message text as is); c settles as dropped; x → processing-failed record F
 * ```
 *
 * A subscription record is the JSON CloudWatch Logs sends (`messageType`, `owner`, `logGroup`, `logStream`,
 * `subscriptionFilters`, `logEvents: [{ id, timestamp, message }]`), after `decompressRecords`:
 * - `DATA_MESSAGE`: each log event becomes a record whose data is its `message` in UTF-8, as is (no
 *   newline: add `appendDelimiterToRecord` for one per line). Ids are `<recordId>-<index>`; each keeps the
 *   original's arrival time and carries part of its settlement, so the original settles when every message did;
 * - `CONTROL_MESSAGE` (CloudWatch Logs' reachability check): dropped, settled as dropped;
 * - anything else (not UTF-8 JSON, another `messageType`, a log event without a string `message`): a
 *   `processing-failed` failure record (`CloudWatchLogProcessing.InvalidRecord`) with the record's bytes.
 *
 * ## Example
 * ```ts
 * import { decompressRecords, extractCloudWatchLogMessages, appendDelimiterToRecord } from 'rx-firehose/operators';
 *
 * subscriptionRecords$.pipe(
 *   decompressRecords({ errorOutput: lake }),
 *   extractCloudWatchLogMessages({ errorOutput: lake }),
 *   appendDelimiterToRecord(),
 * );
 * ```
 *
 * @param options The error output and the scheduler.
 * @returns An operator from subscription records to log messages.
 * @see decompressRecords
 */
export function extractCloudWatchLogMessages(
  options?: ExtractCloudWatchLogMessagesOptions,
): OperatorFunction<FirehoseRecord, FirehoseRecord> {
  const { errorOutput, scheduler } = checkProcessorOptions(NAME, options);
  return processEachRecord({ stage: 'CloudWatchLogProcessing', errorOutput, scheduler }, messagesOf);
}

function messagesOf(record: FirehoseRecord): RecordOutcome {
  const invalid = (why: string): RecordOutcome => ({
    ok: false,
    errorOutputType: 'processing-failed',
    errorCode: 'CloudWatchLogProcessing.InvalidRecord',
    errorMessage: `the record is not a CloudWatch Logs subscription record: ${why}`,
  });
  let payload: unknown;
  try {
    payload = JSON.parse(utf8.decode(record.data));
  } catch (err) {
    return invalid(`not UTF-8 JSON (${(err as Error).message}); is the Decompression processor before it?`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return invalid('not a JSON object');
  const { messageType, logEvents } = payload as { messageType?: unknown; logEvents?: unknown };
  if (messageType === 'CONTROL_MESSAGE') return { ok: true, data: [] };
  if (messageType !== 'DATA_MESSAGE') return invalid(`messageType is ${JSON.stringify(messageType)}, not DATA_MESSAGE or CONTROL_MESSAGE`);
  if (!Array.isArray(logEvents)) return invalid('logEvents is not a list');
  const data: Uint8Array[] = [];
  for (let i = 0; i < logEvents.length; i++) {
    const message = (logEvents[i] as { message?: unknown } | null)?.message;
    if (typeof message !== 'string') return invalid(`logEvents[${i}].message is not a string`);
    data.push(encoder.encode(message));
  }
  return { ok: true, data };
}
