// The blueprints are AWS Lambda Firehose transformation handlers as the `aws-lambda` typings declare them
// (so they deploy unchanged), and local transformations for transformWithLambda (so they run in process).
import type { FirehoseTransformationHandler } from 'aws-lambda';
import { expectTypeOf } from 'vitest';
import type { LocalTransformation } from '../../src/index.js';
import {
  apacheLogToCsv,
  apacheLogToJson,
  cloudWatchLogsProcessor,
  cloudWatchLogsToMessages,
  generalProcessing,
  kplAggregatedToRecords,
  syslogToCsv,
  syslogToJson,
} from '../../src/blueprints/index.js';

for (const handler of [
  generalProcessing,
  apacheLogToJson,
  apacheLogToCsv,
  syslogToJson,
  syslogToCsv,
  cloudWatchLogsToMessages,
  cloudWatchLogsProcessor({ reingest: async () => undefined }),
  kplAggregatedToRecords,
]) {
  expectTypeOf(handler).toExtend<LocalTransformation>();
  expectTypeOf(handler).toExtend<FirehoseTransformationHandler>();
}
