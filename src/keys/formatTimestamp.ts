import { compileTimestampPattern } from './compileTimestampPattern.js';

/**
 * Formats an epoch-millisecond instant in UTC with a Java `DateTimeFormatter` pattern, as Firehose does for
 * `!{timestamp:…}` prefix expressions.
 *
 * A one-off convenience over {@link compileTimestampPattern}, which lists the supported pattern letters and
 * should be used instead when the same pattern formats many instants. The instant comes from the caller:
 * nothing here reads the clock.
 *
 * ## Example
 * ```ts
 * import { formatTimestamp } from 'rx-firehose';
 *
 * formatTimestamp('yyyy/MM/dd/HH/', Date.parse('2016-02-25T13:00:00.123Z')); // '2016/02/25/13/'
 * formatTimestamp("'dt='yyyy-MM-dd", Date.parse('2016-02-25T13:00:00Z'));   // 'dt=2016-02-25'
 * ```
 *
 * @param pattern A Java `DateTimeFormatter` pattern; an unsupported one throws a `RangeError`.
 * @param epochMs The instant, in milliseconds since the epoch; outside years 1–9999 throws a `RangeError`.
 * @returns The formatted UTC time.
 * @see compileTimestampPattern
 */
export function formatTimestamp(pattern: string, epochMs: number): string {
  return compileTimestampPattern(pattern).format(epochMs);
}
