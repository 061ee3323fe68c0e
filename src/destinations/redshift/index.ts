import type { Destination } from '../Destination.js';
import { copyStage } from './copyStage.js';
import { checkRedshiftOptions, type RedshiftDestinationOptions } from './options.js';
import { stagingStage, type StagedRecords, type StagingRequest } from './staging.js';

export type { RedshiftDataApiOptions, RedshiftDestinationOptions, RedshiftStagingOptions } from './options.js';
export type { StagingRequest } from './staging.js';
export type { CopyManifestRequest } from './copyStage.js';

/**
 * Amazon Redshift, as Firehose loads it: two stages.
 *
 * 1. **Staging**: the batch is written as one object to the intermediate bucket (`staging`, laid out and
 *    compressed like `s3Destination`'s objects, `UNCOMPRESSED` or `GZIP`), then a manifest listing it under
 *    `<prefix>manifests/…`. Retried like S3 (24 h by default).
 * 2. **COPY**: `COPY <table> (<columns>) FROM 's3://…/manifest' CREDENTIALS '…' MANIFEST <copyOptions>` over
 *    PostgreSQL's protocol, through your `pg` pool, or (`dataApi`) as a statement of the Redshift Data API,
 *    polled with `DescribeStatement` until `FINISHED` (Redshift Serverless; needs
 *    `@aws-sdk/client-redshift-data`). Retried for `retryDurationMs` (default 1 h, up to 2 h);
 *    then the manifest goes to `<prefix>errors/manifests/…` with the error, for a backfill.
 *
 * Records settle only when the COPY answered (or the failed manifest was written): a Kinesis source
 * checkpoints nothing before. With `concurrency: 1` (the default) a COPY starts only after the previous one
 * finished, as in Firehose.
 *
 * ## Example
 * ```ts
 * import { S3Client } from '@aws-sdk/client-s3';
 * import pg from 'pg';
 * import { redshiftDestination } from 'rx-firehose';
 * import { bufferBySizeOrTime, deliverTo } from 'rx-firehose/operators';
 *
 * const warehouse = redshiftDestination({
 *   pool: new pg.Pool({ connectionString: 'postgres://firehose:secret@examplecluster.abc123.us-east-1.redshift.amazonaws.com:5439/dev', ssl: true }),
 *   table: 'events',
 *   columns: ['id', 'kind', 'at'],
 *   copyOptions: "JSON 'auto'",
 *   credentials: 'aws_iam_role=arn:aws:iam::123456789012:role/firehose-redshift',
 *   staging: { client: new S3Client({}), bucket: 'firehose-staging', compression: 'GZIP' },
 * });
 * records$.pipe(bufferBySizeOrTime({ maxBytes: 5 << 20, maxMs: 300_000 }), deliverTo(warehouse));
 * ```
 *
 * @throws {InvalidOptionError} at the call, for an invalid option.
 */
export function redshiftDestination(options: RedshiftDestinationOptions): Destination<StagingRequest> {
  const config = checkRedshiftOptions(options);
  const staged: StagedRecords = new WeakMap();
  return stagingStage(config, staged, copyStage(config, staged));
}
