import type { Destination, ErrorOutput } from '../Destination.js';
import { objectStoreDestination, type ObjectStoreRequest } from '../objectStore/objectStoreDestination.js';
import { checkS3Options, type S3DestinationOptions } from './options.js';
import { putObject } from './service.js';

export type { S3DestinationOptions, S3SendOptions, S3WriteClient } from './options.js';

/**
 * Amazon S3 (or any S3-compatible store) with Firehose's object layout.
 *
 * Each batch becomes one object per partition at `<prefix><stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>`
 * (default prefix `yyyy/MM/dd/HH/` in UTC from the oldest record's arrival; prefix expressions
 * `!{timestamp:…}`, `!{firehose:random-string}`, `!{partitionKeyFromLambda:…}`, `!{partitionKeyFromQuery:…}`),
 * records concatenated as they are, compressed with `UNCOMPRESSED`, `GZIP`, `ZIP`, `Snappy` or
 * `HADOOP_SNAPPY`. Large objects go up as multipart uploads. Every retry of a batch writes the same key.
 * Errors are retried for 24 h by default, as Firehose does, except those about the request itself.
 *
 * It is an error output too: failure records, as JSON lines, go to `<errorOutputPrefix>` or
 * `<prefix><error-output-type>/yyyy/MM/dd/HH/`.
 *
 * ## Example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3';
 * import { s3Destination } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const lake = s3Destination({ client: new S3Client({}), bucket: 'lake', streamName: 'clicks', compression: 'GZIP' });
 * records$.pipe(bufferBySizeOrTime({ maxBytes: 5 << 20, maxMs: 300_000 }), deliverTo(lake, { errorOutput: lake }));
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option.
 */
// The type parameter is kept for source compatibility; the record type comes from the pipeline's source.
export function s3Destination<_T = unknown>(
  options: S3DestinationOptions,
): Destination<ObjectStoreRequest> & ErrorOutput<ObjectStoreRequest> {
  const config = checkS3Options(options);
  return objectStoreDestination('S3', config, (key, body, signal, scheduler) => putObject(config, key, body, signal, scheduler));
}
