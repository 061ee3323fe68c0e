// rx-firehose/blueprints: Firehose data-transformation handlers that do what AWS's Firehose Lambda blueprints
// do. Each file is self-contained (only type imports from the rest of rx-firehose), so it runs in
// transformWithLambda and, compiled, deploys to AWS Lambda unchanged.
export { generalProcessing } from './generalProcessing.js';
export { apacheLogToJson, apacheLogToCsv, parseApacheLogLine, type ApacheLogEntry } from './apacheLog.js';
export { syslogToJson, syslogToCsv, parseSyslogLine, type SyslogEntry } from './syslog.js';
export { cloudWatchLogsProcessor, cloudWatchLogsToMessages, type CloudWatchLogsProcessorOptions } from './cloudWatchLogs.js';
export { kplAggregatedToRecords, kplUserRecords } from './kplAggregated.js';
export type { BlueprintEvent, BlueprintResult } from './BlueprintTypes.js';
